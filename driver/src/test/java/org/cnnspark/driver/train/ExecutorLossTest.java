package org.cnnspark.driver.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor JVM SIGKILLed in the middle of a training round (local-cluster[2,1,1024]): Spark
 * runs the lost task again (on the other executor or a relaunched one, recomputing the lost cached
 * blocks from the files), and the run ends with the bits of a run without the fault, because a
 * task's result depends only on its inputs and partition index and the driver sums results in
 * partition order.
 */
class ExecutorLossTest {
  /** How long the victim's task has been running when it is killed. */
  static final long KILL_AFTER_MS = 50;

  @TempDir
  static Path dir;

  @Test
  void killingAnExecutorMidRoundChangesNoBit() throws Exception {
    String home = LocalClusterTest.sparkHome();
    // 1,000 images per task and round: the kill comes well before a task ends
    Path images = LocalSpark.writeIdx(dir, "small-train", LocalSpark.fashion("train", 0, 4000), true);
    List<String> directories = LocalClusterTest.linkJars(Path.of(home));

    LocalClusterTest.TrainResult clean = LocalClusterTest.train(new SparkConf().setMaster("local[2]"), images, null);
    Killer killer = new Killer();
    LocalClusterTest.TrainResult faulty = LocalClusterTest.train(LocalClusterTest.clusterConf(directories), images,
        (m, state) -> {
          if (m.epoch() == 1 && m.round() == 1) { // arm for round 2, after the executors have warmed up
            SparkSession.active().sparkContext().addSparkListener(killer);
          }
        });

    assertTrue(killer.killed.get(), "no executor was killed " + killer.lostTasks);
    assertTrue(killer.lostTasks.stream().anyMatch(r -> r.contains("ExecutorLostFailure")),
        "the killed executor's task failed as lost, i.e. it was killed mid-task: " + killer.lostTasks);
    assertTrue(killer.removed.get(), "Spark saw the executor go");
    DistributedTrainerTest.assertBits(clean.state().params(), faulty.state().params(), "parameters with vs without the kill");
    DistributedTrainerTest.assertBits(clean.state().state(), faulty.state().state(), "optimizer state");
    assertEquals(clean.state().steps(), faulty.state().steps());
  }

  /**
   * The same with the results summed through Spark's shuffle, the kill at the first task of a
   * round's reduce stage: small shards make that stage 40-odd tasks on the two one-core executors,
   * so most of it is still to run. The killed executor's shuffle files go with it: Spark fetches
   * in vain, runs the lost training tasks again and then the reduce, and the bits are those of
   * local[2] collecting the results on the driver.
   */
  @Test
  void killingAnExecutorInTheReduceStageChangesNoBit() throws Exception {
    String home = LocalClusterTest.sparkHome();
    Path images = LocalSpark.writeIdx(dir, "reduce-train", LocalSpark.fashion("train", 0, 1000), true);
    List<String> directories = LocalClusterTest.linkJars(Path.of(home));

    LocalClusterTest.TrainResult clean = LocalClusterTest.train(new SparkConf().setMaster("local[2]"), images, null,
        ReduceMode.COLLECT);
    Killer killer = new Killer(": reduce", 0);
    SparkConf conf = LocalClusterTest.clusterConf(directories).set(ShardLayout.MAX_FLOATS_CONF, "1024");
    LocalClusterTest.TrainResult faulty = LocalClusterTest.train(conf, images, (m, state) -> {
      if (m.epoch() == 1 && m.round() == 1) {
        SparkSession.active().sparkContext().addSparkListener(killer);
      }
    }, ReduceMode.SHUFFLE);

    assertTrue(killer.killed.get(), "no executor was killed " + killer.lostTasks);
    assertTrue(killer.lostTasks.stream().anyMatch(r -> r.contains("FetchFailed") || r.contains("ExecutorLostFailure")),
        "a reduce task lost its input or its executor: " + killer.lostTasks);
    DistributedTrainerTest.assertBits(clean.state().params(), faulty.state().params(), "parameters with vs without the kill");
    DistributedTrainerTest.assertBits(clean.state().state(), faulty.state().state(), "optimizer state");
    assertEquals(clean.state().steps(), faulty.state().steps());
  }

  /**
   * Kills the executor of the first task it sees start in the first stage submitted after it was
   * added whose name ends with {@code stageSuffix} (any stage when empty), once, {@code afterMs} into the task.
   */
  static final class Killer extends SparkListener {
    private final String stageSuffix;
    private final long afterMs;

    Killer() {
      this("", KILL_AFTER_MS);
    }

    Killer(String stageSuffix, long afterMs) {
      this.stageSuffix = stageSuffix;
      this.afterMs = afterMs;
    }

    final AtomicBoolean killed = new AtomicBoolean();
    final AtomicBoolean removed = new AtomicBoolean();
    final List<String> lostTasks = new CopyOnWriteArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();

    /** The first stage submitted after this listener was added: round 2's, not a late event of round 1. */
    private volatile int stage = -1;

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
      if (stage < 0 && submitted.stageInfo().name().endsWith(stageSuffix)) {
        stage = submitted.stageInfo().stageId();
      }
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
      if (start.stageId() != stage || !started.compareAndSet(false, true)) {
        return;
      }
      String executor = start.taskInfo().executorId();
      Thread t = new Thread(() -> { // not on Spark's listener thread: it must keep delivering events
        try {
          Thread.sleep(afterMs);
          Optional<ProcessHandle> victim = executorProcess(executor);
          if (victim.isEmpty()) {
            lostTasks.add("(no executor JVM with --executor-id " + executor + " below this JVM)");
            return;
          }
          victim.get().destroyForcibly(); // SIGKILL on Linux
          killed.set(true);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
      if (!end.reason().toString().startsWith("Success")) {
        lostTasks.add(end.reason().toString());
      }
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
      this.removed.set(true);
    }
  }

  /**
   * The executor JVM of this test's local cluster with the given id: local-cluster's workers run
   * inside this JVM and start executors as its child processes, so other runs' executors on the
   * same machine are never touched.
   */
  static Optional<ProcessHandle> executorProcess(String executorId) {
    return ProcessHandle.current().descendants().filter(p -> {
      List<String> args = commandLine(p.pid());
      int at = args.indexOf("--executor-id");
      return args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend") && at >= 0
          && at + 1 < args.size() && args.get(at + 1).equals(executorId);
    }).findFirst();
  }

  private static List<String> commandLine(long pid) {
    try {
      return List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8).split("\0"));
    } catch (IOException e) {
      return List.of(); // gone already, or not Linux
    }
  }
}
