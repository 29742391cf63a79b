package org.cnnspark.driver.train;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import org.apache.spark.SparkConf;

/**
 * What a run's rounds need of the driver's memory, from the vector sizes and W alone, checked
 * against this JVM's limits before the first round, so that a run too large for them is refused
 * with the numbers and what to set instead of dying with OutOfMemoryError an hour in. The
 * formulas (docs/operations.md, "Memory per round"), with B = 4 (P + S) bytes of parameters and
 * optimizer state and O = 4 x the outer momentum's floats:
 * <ul>
 *   <li>driver heap, results collected: (W + 4) B + 2 O + {@link #BASE};
 *   <li>driver heap, results reduced through the shuffle: 4 B + 3 O + {@link #BASE};
 *   <li>in local mode the executors share the driver's JVM: per task slot 3 B (collect) or 2 B +
 *       (W + 3) x the shard's bytes (shuffle) more heap, and 4 (2P + S) of direct memory for the
 *       engine's parameters, gradients and optimizer state.
 * </ul>
 * Conservative on purpose; {@value #CONF}=false turns the check off.
 */
public final class MemoryCheck {
  /** The Spark setting that turns the check off. */
  public static final String CONF = "spark.cnnspark.memoryCheck";
  /** Spark's own driver, the cached-data bookkeeping, the JVM's slack. */
  public static final long BASE = 512L << 20;

  private MemoryCheck() {}

  /** Bytes of driver heap the rounds need (see the class comment). */
  public static long driverHeap(long params, long state, long outer, int workers, boolean sharded, int localSlots,
      long shardFloats) {
    long b = 4 * (params + state);
    long o = 4 * outer;
    long heap = sharded ? 4 * b + 3 * o : (workers + 4L) * b + 2 * o;
    long perSlot = sharded ? 2 * b + (workers + 3L) * 4 * Math.min(shardFloats, params + state) : 3 * b;
    return heap + (long) localSlots * perSlot + BASE;
  }

  /** Bytes of direct memory the engines of {@code localSlots} tasks in this JVM hold. */
  public static long direct(long params, long state, int localSlots) {
    return (long) localSlots * 4 * (2 * params + state);
  }

  /**
   * Refuses (IllegalArgumentException: the CLI's exit 2) a run whose estimate exceeds this JVM's
   * max heap or, in local mode, its direct memory limit.
   */
  public static void check(SparkConf conf, long params, long state, long outer, int workers, boolean sharded,
      long shardFloats) {
    if (!conf.getBoolean(CONF, true)) {
      return;
    }
    int slots = localSlots(conf.get("spark.master", ""));
    long heap = driverHeap(params, state, outer, workers, sharded, slots, shardFloats);
    long maxHeap = Runtime.getRuntime().maxMemory();
    String sizes = String.format("%d workers x B = %s of parameters and optimizer state (%,d + %,d floats)%s", workers,
        gb(4 * (params + state)), params, state, outer > 0 ? String.format(" and %,d floats of outer momentum", outer) : "");
    String how = "Give the driver more (--driver-memory or spark.driver.memory with spark-submit, -Xmx in "
        + "CNN_SPARK_JAVA_OPTS for bin/cnn-spark)" + (sharded ? "" : ", let the executors sum the results ("
        + ReduceMode.CONF + "=shuffle: the driver then needs 4 B, not W + 4)") + ", or use fewer workers or a smaller "
        + "model; " + CONF + "=false skips this check (docs/operations.md: memory per round)";
    if (heap > maxHeap) {
      throw new IllegalArgumentException(String.format("this run needs about %s of driver heap and the JVM has %s: %s, "
          + "results %s%s. %s", gb(heap), gb(maxHeap), sizes, sharded ? "summed through the shuffle (4 B + 0.5 GB)"
          : "collected on the driver ((W + 4) B + 0.5 GB)", slots > 0 ? String.format(", and %d task slots of local "
          + "mode in the same JVM", slots) : "", how));
    }
    long maxDirect = maxDirect();
    long direct = direct(params, state, slots);
    if (slots > 0 && direct > maxDirect) {
      throw new IllegalArgumentException(String.format("this run's %d engines in local mode need about %s of direct "
          + "memory (4 (2P + S) bytes each for parameters, gradients and optimizer state) and the JVM allows %s: set "
          + "-XX:MaxDirectMemorySize (default: the max heap) or give the JVM more memory, or use fewer task slots "
          + "(local[N]) or a smaller model; %s=false skips this check", slots, gb(direct), gb(maxDirect), CONF));
    }
  }

  /** Task slots that run in this JVM: local[N] (or local, local[*], local[N,F]); 0 when executors are elsewhere. */
  static int localSlots(String master) {
    if (master.equals("local")) {
      return 1;
    }
    if (!master.startsWith("local[")) {
      return 0;
    }
    String n = master.substring("local[".length(), master.length() - 1).split(",")[0].trim();
    return n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
  }

  /** -XX:MaxDirectMemorySize, or the max heap when it is not set (the JDK's default). */
  static long maxDirect() {
    try {
      HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      long v = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
      return v > 0 ? v : Runtime.getRuntime().maxMemory();
    } catch (RuntimeException e) { // not HotSpot
      return Runtime.getRuntime().maxMemory();
    }
  }

  private static String gb(long bytes) {
    return bytes >= 1L << 30 ? String.format("%.1f GB", bytes / (double) (1L << 30))
        : String.format("%.0f MB", bytes / (double) (1L << 20));
  }
}
