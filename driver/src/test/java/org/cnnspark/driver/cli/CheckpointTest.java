package org.cnnspark.driver.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.cnnspark.driver.LocalSpark;
import org.cnnspark.driver.store.Checkpoints;
import org.cnnspark.driver.store.ModelDir;
import org.cnnspark.driver.train.RoundMetrics;
import org.cnnspark.driver.train.TrainDefaults;
import org.cnnspark.engine.io.ModelFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train's checkpoints on local[2] in this JVM: what a checkpoint holds, pruning, --resume from an
 * earlier round or with more epochs (same bits as an uninterrupted run), refusals (other options,
 * an unfinished run without --resume), corrupt checkpoints, and divergence. The driver killed for
 * real is {@link DriverKillTest}.
 */
class CheckpointTest {
  @TempDir
  static Path dir;
  static SparkSession spark;
  static Path images;
  static Path few;
  static Path full;

  @BeforeAll
  static void start() throws IOException {
    images = LocalSpark.writeIdx(dir.resolve("data"), "small-train", LocalSpark.fashion("train", 0, 2000), true);
    few = LocalSpark.writeIdx(dir.resolve("few"), "few-train", LocalSpark.fashion("train", 0, 400), true);
    spark = LocalSpark.start(2, "cnn-spark checkpoint tests");
    full = dir.resolve("full");
    CliTest.Run r = train(full, "--keep-checkpoints", "2");
    assertEquals(0, r.code(), r.err());
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** 2 epochs of 3 rounds on 2,000 images with 2 workers; {@code extra} options (flags or name value) replace these. */
  static CliTest.Run train(Path out, String... extra) {
    Map<String, String> opts = new LinkedHashMap<>();
    String[] base = {"--data", images.toString(), "--arch", CliTest.SMALL_ARCH, "--workers", "2", "--lr", "0.05",
        "--batch-size", "32", "--seed", "3", "--epochs", "2", "--rounds-per-epoch", "3", "--out", out.toString()};
    for (int i = 0; i < base.length; i += 2) {
      opts.put(base[i], base[i + 1]);
    }
    for (int i = 0; i < extra.length; i++) {
      boolean flag = i + 1 == extra.length || extra[i + 1].startsWith("--");
      opts.put(extra[i], flag ? null : extra[++i]);
    }
    List<String> args = new ArrayList<>(List.of("train"));
    opts.forEach((k, v) -> {
      args.add(k);
      if (v != null) {
        args.add(v);
      }
    });
    return CliTest.run(args.toArray(String[]::new));
  }

  static Checkpoints.Checkpoint checkpoint(Path modelDir, int rounds) throws IOException {
    Checkpoints c = new Checkpoints(modelDir.toString(), new Configuration());
    return c.read(c.file(rounds));
  }

  static List<String> checkpointNames(Path modelDir) throws IOException {
    try (Stream<Path> s = Files.list(modelDir.resolve(Checkpoints.DIR))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static float[] modelParams(Path modelDir) throws IOException {
    return ModelDir.read(modelDir.toString(), new Configuration()).params();
  }

  /** A copy of the finished run's model directory with only the given checkpoints. */
  static Path copyWith(String name, int... rounds) throws IOException {
    Path copy = dir.resolve(name);
    Files.createDirectories(copy.resolve(Checkpoints.DIR));
    for (int r : rounds) {
      String f = String.format("round-%06d.cnn", r);
      Files.copy(full.resolve(Checkpoints.DIR).resolve(f), copy.resolve(Checkpoints.DIR).resolve(f));
    }
    return copy;
  }

  @Test
  void checkpointsHoldTheStateMetricsAndOptionsAndOnlyTheNewestAreKept() throws IOException {
    assertEquals(List.of("round-000005.cnn", "round-000006.cnn"), checkpointNames(full), "--keep-checkpoints 2 of 6 rounds");
    Checkpoints.Checkpoint last = checkpoint(full, 6);
    assertEquals(2, last.state().epoch(), "done: epoch == epochs");
    assertEquals(0, last.state().round());
    assertArrayEquals(modelParams(full), last.state().params(), "the last checkpoint is the final model");
    assertEquals(Files.readAllLines(full.resolve(ModelDir.METRICS)), last.metrics());
    assertEquals("0.05", last.options().get("lr"));
    assertEquals("3", last.options().get("rounds-per-epoch"));
    assertTrue(last.options().get("data").startsWith("file:/"), "paths stored absolute: " + last.options());

    Checkpoints.Checkpoint before = checkpoint(full, 5);
    assertEquals(1, before.state().epoch());
    assertEquals(2, before.state().round(), "after 5 rounds of 3 per epoch, next is epoch 2 round 3 (0-based 1, 2)");
    assertEquals(5, before.metrics().size());
    assertFalse(Arrays.equals(before.state().params(), last.state().params()));
    assertTrue(before.state().steps() > 0 && before.state().steps() < last.state().steps());
  }

  @Test
  void resumingAnEarlierCheckpointEndsWithTheUninterruptedBits() throws IOException {
    Path resumed = copyWith("resumed", 5);
    CliTest.Run r = train(resumed, "--resume");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("resuming from") && r.err().contains("round-000005.cnn"), r.err());
    assertEquals(1, r.err().lines().filter(l -> l.startsWith("epoch ")).count(), "one round left to run: " + r.err());
    assertArrayEquals(modelParams(full), modelParams(resumed));
    assertEquals(Files.readAllLines(full.resolve(ModelDir.METRICS)).size(),
        Files.readAllLines(resumed.resolve(ModelDir.METRICS)).size(), "metrics of all 6 rounds");
    assertEquals(List.of("round-000005.cnn", "round-000006.cnn"), checkpointNames(resumed));
  }

  @Test
  void resumingInTheMiddleOfTheWarmUpEndsWithTheUninterruptedBits() throws IOException {
    String[] schedule = {"--lr-scaling", "linear", "--warmup-epochs", "1.5", "--lr-schedule", "cosine", "--lr-min", "0.001"};
    Path straight = dir.resolve("warm-up-straight");
    CliTest.Run r = train(straight, with(schedule, "--keep-checkpoints", "6"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("learning rate: cosine to 0.001 over 2 epochs; warm-up 1.5 epochs; linear scaling, cap 8.0"
        + " (peak 0.1 = --lr x 2.0)"), r.err());
    assertTrue(r.err().contains("epoch 1/2 round 1/3: loss") && r.err().contains("lr 0.05000"), r.err());
    Checkpoints.Checkpoint two = checkpoint(straight, 2);
    assertEquals(Map.of("lr-scaling", "linear", "warmup-epochs", "1.5", "lr-schedule", "cosine", "lr-min", "0.001"),
        scheduleOptions(two.options()), "only the options that differ from their absent values");
    assertEquals(scheduleOptions(TrainDefaults.learningRate().givenOptions()),
        scheduleOptions(checkpoint(full, 6).options()), "a run without them stores the defaults that are not absent");
    // rates of rounds at t = 0, 1/3, 2/3, ...: 2 x 0.05 on cosine, times the warm-up from 1/2 to 1 until t = 1.5
    List<String> lines = Files.readAllLines(straight.resolve(ModelDir.METRICS));
    for (int i = 0; i < 6; i++) {
      double t = i / 3.0;
      double cosine = 0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * t / 2)) / 2;
      double rate = cosine * (t < 1.5 ? 0.5 + 0.5 * t / 1.5 : 1);
      assertEquals(rate, RoundMetrics.fromJson(lines.get(i)).lr(), 1e-15, "round " + (i + 1) + ": " + lines.get(i));
    }
    String model = CliTest.readModel(straight).provenance().get("lr_schedule");
    assertEquals("cosine to 0.001 over 2 epochs; warm-up 1.5 epochs; linear scaling, cap 8.0", model);
    assertEquals("2.0", CliTest.readModel(straight).provenance().get("lr_scale"));

    Path resumed = copyWithSchedule(straight, "warm-up-resumed", 2);
    r = train(resumed, with(schedule, "--resume"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("resuming from") && r.err().contains("round-000002.cnn"), r.err());
    assertArrayEquals(modelParams(straight), modelParams(resumed), "resumed at t = 2/3, inside the warm-up");
    List<String> again = Files.readAllLines(resumed.resolve(ModelDir.METRICS));
    assertEquals(6, again.size());
    for (int i = 0; i < 6; i++) {
      assertEquals(RoundMetrics.fromJson(lines.get(i)).lr(), RoundMetrics.fromJson(again.get(i)).lr(), 0.0, again.get(i));
    }

    // the cosine spans the run's epochs: --epochs may not change; a schedule option given must match, one left out is taken
    CliTest.Run longer = train(resumed, with(schedule, "--resume", "--epochs", "3"));
    assertEquals(2, longer.code(), longer.err());
    assertTrue(longer.err().contains("--epochs 3 (checkpoint: 2)") && longer.err().contains("spans the run's epochs"),
        longer.err());
    Path without = copyWithSchedule(straight, "warm-up-without", 2);
    CliTest.Run otherWarmUp = train(without, "--resume", "--warmup-epochs", "1");
    assertEquals(2, otherWarmUp.code(), otherWarmUp.err());
    assertTrue(otherWarmUp.err().contains("--warmup-epochs 1.0 (checkpoint: 1.5)"), otherWarmUp.err());
    CliTest.Run plain = train(without, "--resume");
    assertEquals(0, plain.code(), plain.err());
    assertArrayEquals(modelParams(straight), modelParams(without), "the schedule left out: the checkpoint's");
  }

  /** {@code base} followed by {@code more}. */
  static String[] with(String[] base, String... more) {
    String[] all = Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  /** The learning-rate entries of a checkpoint's options. */
  static Map<String, String> scheduleOptions(Map<String, String> options) {
    Map<String, String> o = new java.util.TreeMap<>(options);
    o.keySet().retainAll(List.of("lr-schedule", "lr-milestones", "lr-gamma", "lr-min", "warmup-epochs", "lr-scaling",
        "max-lr-scale"));
    return o;
  }

  /** A new model directory holding checkpoint {@code round} of the run in {@code from}. */
  static Path copyWithSchedule(Path from, String name, int round) throws IOException {
    Path copy = dir.resolve(name);
    Files.createDirectories(copy.resolve(Checkpoints.DIR));
    String f = String.format("round-%06d.cnn", round);
    Files.copy(from.resolve(Checkpoints.DIR).resolve(f), copy.resolve(Checkpoints.DIR).resolve(f));
    return copy;
  }

  /** With a shuffle buffer (streamed chunks) a resumed run reads the same windows: the uninterrupted bits. */
  @Test
  void aStreamedRunResumesMidEpochWithTheUninterruptedBits() throws IOException {
    Path straight = dir.resolve("streamed");
    CliTest.Run r = train(straight, "--shuffle-buffer", "300");
    assertEquals(0, r.code(), r.err());
    ModelFile model = CliTest.readModel(straight);
    assertEquals("300", model.provenance().get("shuffle_buffer"));
    assertEquals("28 of 75 records", model.provenance().get("chunks"), "1,000 records a worker: 14 chunks of 75 each");
    assertFalse(Arrays.equals(modelParams(full), modelParams(straight)), "a buffer changes the order, so the bits");
    Path resumed = dir.resolve("streamed-resumed");
    Files.createDirectories(resumed.resolve(Checkpoints.DIR));
    Files.copy(straight.resolve(Checkpoints.DIR).resolve("round-000005.cnn"),
        resumed.resolve(Checkpoints.DIR).resolve("round-000005.cnn"));
    CliTest.Run other = train(resumed, "--resume", "--shuffle-buffer", "600");
    assertEquals(2, other.code(), other.err());
    assertTrue(other.err().contains("--shuffle-buffer"), other.err());
    CliTest.Run again = train(resumed, "--resume"); // the checkpoint's buffer
    assertEquals(0, again.code(), again.err());
    assertArrayEquals(modelParams(straight), modelParams(resumed));
  }

  @Test
  void resumingWithMoreEpochsIsTheLongerRun() throws IOException {
    Path longer = copyWith("longer", 6);
    CliTest.Run r = train(longer, "--resume", "--epochs", "3");
    assertEquals(0, r.code(), r.err());
    Path direct = dir.resolve("direct-3");
    assertEquals(0, train(direct, "--epochs", "3").code());
    assertArrayEquals(modelParams(direct), modelParams(longer));
  }

  @Test
  void resumeRefusesOtherOptionsNamingThem() throws IOException {
    Path other = copyWith("other-options", 5);
    CliTest.Run r = train(other, "--resume", "--lr", "0.1", "--batch-size", "16");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--lr 0.1 (checkpoint: 0.05)") && r.err().contains("--batch-size 16 (checkpoint: 32)"),
        r.err());
    assertFalse(Files.exists(other.resolve(ModelDir.MODEL)));
    CliTest.Run fewer = train(other, "--resume", "--epochs", "1");
    assertEquals(2, fewer.code(), fewer.err());
    assertTrue(fewer.err().contains("--epochs 1 ends before"), fewer.err());
  }

  /**
   * A checkpoint without the options whose defaults changed (as earlier builds wrote them, here a run
   * given their absent values) resumes without them with those absent values, not today's defaults:
   * the uninterrupted bits. Given on the command line, they must match: resuming it mixed is refused.
   */
  @Test
  void aCheckpointWithoutTheNewOptionsResumesWithTheirAbsentValues() throws IOException {
    String[] old = {"--split", "contiguous", "--lr-scaling", "none", "--warmup-epochs", "0", "--outer", "average",
        "--data", few.toString(),
        "--keep-checkpoints", "6"};
    Path straight = dir.resolve("old-straight");
    CliTest.Run r = train(straight, old);
    assertEquals(0, r.code(), r.err());
    Checkpoints.Checkpoint two = checkpoint(straight, 2);
    for (String key : List.of("split", "lr-scaling", "warmup-epochs", "outer", "lr-schedule")) {
      assertFalse(two.options().containsKey(key), key + " at its absent value stays out: " + two.options());
    }
    Path resumed = dir.resolve("old-resumed");
    Files.createDirectories(resumed.resolve(Checkpoints.DIR));
    Files.copy(straight.resolve(Checkpoints.DIR).resolve("round-000002.cnn"),
        resumed.resolve(Checkpoints.DIR).resolve("round-000002.cnn"));
    CliTest.Run mixed = train(resumed, "--data", few.toString(), "--resume", "--split", "mixed");
    assertEquals(2, mixed.code(), mixed.err());
    assertTrue(mixed.err().contains("--split mixed (checkpoint: not given)"), mixed.err());
    assertFalse(Files.exists(resumed.resolve(ModelDir.MODEL)));
    CliTest.Run again = train(resumed, "--data", few.toString(), "--resume"); // today's defaults differ
    assertEquals(0, again.code(), again.err());
    assertArrayEquals(modelParams(straight), modelParams(resumed));
    assertEquals(ModelDir.read(straight.toString(), new Configuration()).provenance().get("averaging"),
        ModelDir.read(resumed.toString(), new Configuration()).provenance().get("averaging"));
  }

  @Test
  void aFreshRunRefusesToDiscardAnUnfinishedOne() throws IOException {
    Path unfinished = copyWith("unfinished", 5);
    CliTest.Run r = train(unfinished);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("unfinished run") && r.err().contains("--resume"), r.err());
    assertEquals(List.of("round-000005.cnn"), checkpointNames(unfinished));
  }

  @Test
  void aFreshRunReplacesAFinishedRunsCheckpoints() throws IOException {
    Path rerun = copyWith("rerun", 5, 6);
    CliTest.Run r = train(rerun, "--rounds-per-epoch", "1", "--epochs", "1");
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of("round-000001.cnn"), checkpointNames(rerun), "the earlier run's 5 and 6 do not continue this one");
    assertEquals("1", checkpoint(rerun, 1).options().get("rounds-per-epoch"));
  }

  @Test
  void aCorruptLatestCheckpointFallsBackToThePreviousWithAWarning() throws IOException {
    Path corrupt = copyWith("corrupt", 5, 6);
    Path six = corrupt.resolve(Checkpoints.DIR).resolve("round-000006.cnn");
    byte[] b = Files.readAllBytes(six);
    Files.write(six, Arrays.copyOf(b, b.length / 2));
    Files.writeString(corrupt.resolve(Checkpoints.DIR).resolve(".round-000007.cnn.tmp-123"), "half a file");
    CliTest.Run r = train(corrupt, "--resume");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("warning: skipped model file " + six) && r.err().contains("round-000005.cnn"), r.err());
    assertArrayEquals(modelParams(full), modelParams(corrupt));
    assertEquals(List.of("round-000005.cnn", "round-000006.cnn"), checkpointNames(corrupt), "temporary removed, 6 rewritten");

    Path allBad = copyWith("all-bad", 5);
    Files.write(allBad.resolve(Checkpoints.DIR).resolve("round-000005.cnn"), Arrays.copyOf(b, 100));
    CliTest.Run bad = train(allBad, "--resume");
    assertEquals(2, bad.code(), bad.err());
    assertTrue(bad.err().contains("round-000005.cnn") && bad.err().contains("checksum"), bad.err());
  }

  @Test
  void resumeWithoutACheckpointStartsFromTheBeginning() throws IOException {
    Path fresh = dir.resolve("fresh-resume");
    CliTest.Run r = train(fresh, "--resume", "--checkpoint-every", "4");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("no checkpoint in"), r.err());
    assertArrayEquals(modelParams(full), modelParams(fresh));
    assertEquals(List.of("round-000004.cnn", "round-000006.cnn"), checkpointNames(fresh), "every 4th round and the last");
  }

  @Test
  void divergenceNamesWhereAndKeepsTheModelAndCheckpoints() throws IOException {
    Path kept = copyWith("diverge", 5, 6);
    Files.copy(full.resolve(ModelDir.MODEL), kept.resolve(ModelDir.MODEL));
    byte[] model = Files.readAllBytes(kept.resolve(ModelDir.MODEL));
    byte[] six = Files.readAllBytes(kept.resolve(Checkpoints.DIR).resolve("round-000006.cnn"));
    // SGD at lr 1e6 kills every ReLU but keeps the loss finite on this model; Adam's second moment overflows
    CliTest.Run r = train(kept, "--optimizer", "adam", "--lr", "1e6");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("diverged in epoch 1, round 1") && r.err().contains("of partition 0 is Infinity"), r.err());
    assertTrue(r.err().contains("left as it was"), r.err());
    assertArrayEquals(model, Files.readAllBytes(kept.resolve(ModelDir.MODEL)));
    assertArrayEquals(six, Files.readAllBytes(kept.resolve(Checkpoints.DIR).resolve("round-000006.cnn")));
    assertEquals(List.of("round-000005.cnn", "round-000006.cnn"), checkpointNames(kept));
  }

  @Test
  void divergenceAfterACheckpointKeepsIt() throws IOException {
    // No learning rate here blows up after a good round (they fail in round 1 or not at all), so
    // the resumed state is made to: checkpoint 5 with every parameter times 1e30 (finite, valid CRC).
    Path later = copyWith("diverge-later", 5);
    Path five = later.resolve(Checkpoints.DIR).resolve("round-000005.cnn");
    ModelFile m = checkpoint(later, 5).model();
    float[] huge = m.params().clone();
    for (int i = 0; i < huge.length; i++) {
      huge[i] *= 1e30f;
    }
    rewrite(five, m, m.provenance(), huge);
    byte[] before = Files.readAllBytes(five);
    CliTest.Run r = train(later, "--resume");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("diverged in epoch 2, round 3") && r.err().contains("of partition "), r.err());
    assertTrue(r.err().contains("The last good checkpoint, " + five + ", is kept"), r.err());
    assertArrayEquals(before, Files.readAllBytes(five));
    assertEquals(List.of("round-000005.cnn"), checkpointNames(later));
    assertFalse(Files.exists(later.resolve(ModelDir.MODEL)));
  }

  @Test
  void resumingOnOtherKernelsWarnsThatTheBitsWillDiffer() throws IOException {
    Path elsewhere = copyWith("elsewhere", 5);
    Path five = elsewhere.resolve(Checkpoints.DIR).resolve("round-000005.cnn");
    ModelFile m = checkpoint(elsewhere, 5).model();
    Map<String, String> prov = new java.util.HashMap<>(m.provenance());
    prov.put("executor_kernels", "some-other-blas");
    rewrite(five, m, prov, m.params());
    CliTest.Run r = train(elsewhere, "--resume");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("warning: executor_kernels was some-other-blas up to " + five), r.err());
    assertFalse(r.err().contains("threads_per_task was"), r.err());
  }

  /** A checkpoint file with another provenance or parameters (a valid file: its CRC is computed anew). */
  static void rewrite(Path file, ModelFile m, Map<String, String> provenance, float[] params) throws IOException {
    new ModelFile(m.spec(), m.inputShape(), m.normalization(), m.classNames(), provenance, m.optimizer(),
        m.optimizerSteps(), params, m.optimizerState()).write(file);
  }

  @Test
  void resumingAfterOuterMomentumBuiltUpEndsWithTheUninterruptedBits() throws IOException {
    Path straight = dir.resolve("outer-straight");
    CliTest.Run r = train(straight, "--data", few.toString(), "--outer", "diloco", "--keep-checkpoints", "6");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("outer diloco") && r.err().contains("outer step: lr 0.7, momentum 0.9, Nesterov"), r.err());
    Checkpoints.Checkpoint four = checkpoint(straight, 4); // next: epoch 2, round 2
    assertEquals("diloco", four.options().get("outer"));
    assertFalse(four.options().containsKey("outer-lr"), "options not given stay out of the map");
    ModelFile model = ModelDir.read(straight.toString(), new Configuration());
    int trainable = model.network(org.cnnspark.engine.kernels.Kernels.gemm(), "model").trainableSize();
    assertEquals(trainable, four.state().outer().length, "the outer momentum buffer is in the checkpoint");
    assertEquals(model.optimizerState().length, four.state().state().length, "and apart from the optimizer state");
    assertEquals(Integer.toString(trainable), four.model().provenance().get("checkpoint_outer_state"));
    assertEquals("diloco", model.provenance().get("outer"));

    Path resumed = dir.resolve("outer-resumed");
    Files.createDirectories(resumed.resolve(Checkpoints.DIR));
    Files.copy(straight.resolve(Checkpoints.DIR).resolve("round-000004.cnn"),
        resumed.resolve(Checkpoints.DIR).resolve("round-000004.cnn"));
    CliTest.Run again = train(resumed, "--data", few.toString(), "--outer", "diloco", "--resume");
    assertEquals(0, again.code(), again.err() + "\n" + r.err());
    assertTrue(again.err().contains("next: epoch 2 round 2"), again.err());
    assertArrayEquals(modelParams(straight), modelParams(resumed));
    CliTest.Run other = train(resumed, "--data", few.toString(), "--outer", "bmuf", "--resume");
    assertEquals(2, other.code(), other.err());
    assertTrue(other.err().contains("--outer bmuf (checkpoint: diloco)"), other.err());
    Path taken = dir.resolve("outer-taken");
    Files.createDirectories(taken.resolve(Checkpoints.DIR));
    Files.copy(straight.resolve(Checkpoints.DIR).resolve("round-000004.cnn"),
        taken.resolve(Checkpoints.DIR).resolve("round-000004.cnn"));
    CliTest.Run without = train(taken, "--data", few.toString(), "--resume");
    assertEquals(0, without.code(), without.err());
    assertArrayEquals(modelParams(straight), modelParams(taken), "--outer not given: the checkpoint's, diloco");
  }

  @Test
  void aRoundScheduleRunsItsRoundsAndResumesMidSchedule() throws IOException {
    Path straight = dir.resolve("schedule-straight");
    CliTest.Run r = train(straight, "--data", few.toString(), "--rounds-per-epoch", "3,1", "--epochs", "3",
        "--keep-checkpoints", "5");
    assertEquals(0, r.code(), r.err());
    List<String> progress = r.err().lines().filter(l -> l.startsWith("epoch ")).map(l -> l.substring(0, l.indexOf(':')))
        .toList();
    assertEquals(List.of("epoch 1/3 round 1/3", "epoch 1/3 round 2/3", "epoch 1/3 round 3/3", "epoch 2/3", "epoch 3/3"),
        progress);
    assertEquals(5, Files.readAllLines(straight.resolve(ModelDir.METRICS)).size());
    assertEquals("3,1", checkpoint(straight, 5).options().get("rounds-per-epoch"));
    assertEquals("3,1", ModelDir.read(straight.toString(), new Configuration()).provenance().get("rounds_per_epoch"));

    Path resumed = dir.resolve("schedule-resumed");
    Files.createDirectories(resumed.resolve(Checkpoints.DIR));
    Files.copy(straight.resolve(Checkpoints.DIR).resolve("round-000002.cnn"),
        resumed.resolve(Checkpoints.DIR).resolve("round-000002.cnn"));
    CliTest.Run again = train(resumed, "--data", few.toString(), "--rounds-per-epoch", "3,1", "--epochs", "3", "--resume");
    assertEquals(0, again.code(), again.err());
    assertTrue(again.err().contains("next: epoch 1 round 3"), again.err());
    assertEquals(3, again.err().lines().filter(l -> l.startsWith("epoch ")).count(), again.err());
    assertArrayEquals(modelParams(straight), modelParams(resumed));
    assertEquals(List.of("round-000004.cnn", "round-000005.cnn"), checkpointNames(resumed),
        "checkpoints keep counting rounds through the schedule");
  }

  @Test
  void badCheckpointOptionsAreRefused() {
    CliTest.Run r = train(dir.resolve("never"), "--keep-checkpoints", "0");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--keep-checkpoints must be >= 1"), r.err());
    assertEquals(2, train(dir.resolve("never"), "--checkpoint-every", "-1").code());
    assertFalse(Files.exists(dir.resolve("never")));
  }
}
