package org.cnnspark.driver.train;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The values of a round's [parameters | optimizer state] that training can change: all but the
 * frozen tensors (--freeze), the running statistics of frozen batch norms and the optimizer state
 * of frozen tensors, which end every round as they began. Tasks send back only these ({@link
 * #pack}), the driver or the shuffle reducers average them as before, and {@link #unpack} puts
 * the fixed values back from the round's start. The average of identical floats is the float
 * itself (n * x / n is exact in double), so the bits are those of averaging everything; only the
 * bytes shrink, to the head's size for head-only fine-tuning.
 *
 * <p>Live values keep their order, so the trainable ones stay a prefix of the packed parameters
 * ({@link #trainable}) and the outer step runs on packed vectors unchanged.
 */
final class LiveValues implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Live ranges {start, end} of the parameters and of the optimizer state, flattened, in order. */
  private final int[] params;
  private final int[] state;
  private final int paramsSize;
  private final int stateSize;
  private final int liveParams;
  private final int liveState;
  private final int liveTrainable;

  private LiveValues(int[] params, int[] state, int paramsSize, int stateSize, int trainable) {
    this.params = params;
    this.state = state;
    this.paramsSize = paramsSize;
    this.stateSize = stateSize;
    this.liveParams = length(params);
    this.liveState = length(state);
    int t = 0;
    for (int i = 0; i < params.length; i += 2) {
      t += Math.max(0, Math.min(params[i + 1], trainable) - params[i]);
    }
    this.liveTrainable = t;
  }

  /** Everything live: nothing frozen. */
  static LiveValues all(int paramsSize, int trainable, int stateSize) {
    return new LiveValues(new int[] {0, paramsSize}, new int[] {0, stateSize}, paramsSize, stateSize, trainable);
  }

  /**
   * All but {@code fixed} (sorted, disjoint ranges of the parameters that never change, e.g.
   * Network.fixedRanges()); the optimizer state, {@code stateSize / trainable} blocks of one float
   * per trainable parameter, is fixed where the trainable parameters are.
   */
  static LiveValues without(List<int[]> fixed, int paramsSize, int trainable, int stateSize) {
    if (fixed.isEmpty()) {
      return all(paramsSize, trainable, stateSize);
    }
    int[] params = complement(fixed, paramsSize);
    List<int[]> fixedState = new ArrayList<>();
    int blocks = trainable == 0 ? 0 : stateSize / trainable;
    for (int b = 0; b < blocks; b++) {
      for (int[] r : fixed) {
        if (r[0] < trainable) {
          fixedState.add(new int[] {b * trainable + r[0], b * trainable + Math.min(r[1], trainable)});
        }
      }
    }
    return new LiveValues(params, complement(fixedState, stateSize), paramsSize, stateSize, trainable);
  }

  private static int[] complement(List<int[]> fixed, int size) {
    List<Integer> out = new ArrayList<>();
    int from = 0;
    for (int[] r : fixed) {
      if (r[0] > from) {
        out.add(from);
        out.add(r[0]);
      }
      from = Math.max(from, r[1]);
    }
    if (from < size) {
      out.add(from);
      out.add(size);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int length(int[] ranges) {
    int n = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      n += ranges[i + 1] - ranges[i];
    }
    return n;
  }

  /** True when every value is live: pack and unpack are the identity. */
  boolean isAll() {
    return liveParams == paramsSize && liveState == stateSize;
  }

  int params() {
    return liveParams;
  }

  int state() {
    return liveState;
  }

  /** Live trainable parameters: the packed parameters' trainable prefix. */
  int trainable() {
    return liveTrainable;
  }

  /** The live parameters of a full vector (the vector itself when everything is live). */
  float[] packParams(float[] full) {
    return pack(full, params, paramsSize, liveParams);
  }

  float[] packState(float[] full) {
    return pack(full, state, stateSize, liveState);
  }

  /** The live part of an outer momentum buffer, which covers the trainable parameters (empty: none). */
  float[] packOuter(float[] buffer) {
    return buffer.length == 0 || isAll() ? buffer : java.util.Arrays.copyOf(packParams(pad(buffer)), liveTrainable);
  }

  /** Full parameters: {@code live} where live, {@code before} elsewhere. */
  float[] unpackParams(float[] live, float[] before) {
    return unpack(live, before, params, liveParams);
  }

  float[] unpackState(float[] live, float[] before) {
    return unpack(live, before, state, liveState);
  }

  /** A full outer buffer of {@code size} floats from its live part; 0 where fixed, as it stays there. */
  float[] unpackOuter(float[] live, int size) {
    if (size == 0) {
      return new float[0];
    }
    if (isAll()) {
      return live;
    }
    float[] full = unpack(java.util.Arrays.copyOf(live, liveParams), new float[paramsSize], params, liveParams);
    return java.util.Arrays.copyOf(full, size);
  }

  private float[] pad(float[] buffer) {
    return buffer.length == paramsSize ? buffer : java.util.Arrays.copyOf(buffer, paramsSize);
  }

  private static float[] pack(float[] full, int[] ranges, int size, int live) {
    if (full.length != size) {
      throw new IllegalStateException(full.length + " values, expected " + size);
    }
    if (live == size) {
      return full;
    }
    float[] out = new float[live];
    int o = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      System.arraycopy(full, ranges[i], out, o, ranges[i + 1] - ranges[i]);
      o += ranges[i + 1] - ranges[i];
    }
    return out;
  }

  private static float[] unpack(float[] live, float[] before, int[] ranges, int liveSize) {
    if (live.length != liveSize) {
      throw new IllegalStateException(live.length + " live values, expected " + liveSize);
    }
    if (liveSize == before.length) {
      return live;
    }
    float[] out = before.clone();
    int o = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      System.arraycopy(live, o, out, ranges[i], ranges[i + 1] - ranges[i]);
      o += ranges[i + 1] - ranges[i];
    }
    return out;
  }
}
