package org.cnnspark.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.cnnspark.engine.kernels.Gemm;
import org.cnnspark.engine.kernels.Kernels;
import org.cnnspark.engine.layers.BatchNorm2d;
import org.cnnspark.engine.layers.Conv2d;
import org.cnnspark.engine.layers.Layer;
import org.cnnspark.engine.layers.ParamDef;
import org.cnnspark.engine.layers.Pool2d;
import org.cnnspark.engine.layers.ReLU;
import org.cnnspark.engine.layers.Residual;

/**
 * A sequential network over one flat parameter buffer and one flat gradient buffer.
 *
 * <p>Layout of {@link #params()}: every trainable tensor first, in layer order (that prefix, of
 * length {@link #trainableSize()}, is what gradients and optimizer state mirror), then the
 * buffers such as BatchNorm running statistics. Names follow PyTorch's module naming for this
 * family: conv1, conv2, ... for convolutions, fc1, ... for dense layers, bn1, ... for
 * batch-norm, each with .weight and .bias (and .running_mean, .running_var, .num_batches_tracked).
 * Residual blocks are named as torchvision's ResNets name them, layerS.B (stage S, block B within
 * it): consecutive blocks form a stage, and a block with a projection shortcut, or one after a
 * layer with parameters, starts a new one; inside, layer1.0.conv1.weight (see Residual).
 */
public final class Network {
  private final ModelSpec spec;
  private final Shape inputShape;
  private final List<Layer> layers;
  private final List<Shape> shapes;
  private final String[] names;
  private final List<ParamView> views;
  private final int trainableSize;
  private final int totalSize;
  private final FloatBuffer params;
  private final FloatBuffer grads;
  private final Gemm gemm;
  private final boolean fuse;
  /** Prefixes of frozen tensors (see {@link #freeze}); empty: everything trains. */
  private List<String> frozen = List.of();
  /** The lowest layer whose tensors train: backward stops there. */
  private int firstTrainable;

  private Network(ModelSpec spec, Shape inputShape, Gemm gemm, FloatBuffer sharedParams, boolean fuse) {
    this.spec = spec;
    this.fuse = fuse;
    this.inputShape = inputShape;
    this.gemm = gemm;
    this.layers = spec.instantiate();
    this.shapes = inferShapes(spec, layers, inputShape);
    this.names = new String[layers.size()];
    Map<String, Integer> counters = new HashMap<>();
    int stage = 0;
    int block = 0;
    boolean paramsSinceBlock = true;
    int trainable = 0;
    int buffers = 0;
    List<List<ParamDef>> defs = new ArrayList<>();
    try {
      for (int i = 0; i < layers.size(); i++) {
        String fam = layers.get(i).family();
        List<ParamDef> d = layers.get(i).params(shapes.get(i));
        if (layers.get(i) instanceof Residual r) {
          // torchvision's stages: a run of blocks, a new one at each projecting block
          if (paramsSinceBlock || r.projects()) {
            stage++;
            block = 0;
          }
          names[i] = "layer" + stage + "." + block++;
          paramsSinceBlock = false;
        } else if (layers.get(i).name() != null) {
          names[i] = layers.get(i).name();
        } else if (fam != null) {
          names[i] = fam + counters.merge(fam, 1, Integer::sum);
        }
        paramsSinceBlock |= fam != null;
        defs.add(d);
        for (ParamDef p : d) {
          if (p.trainable()) {
            trainable = Math.addExact(trainable, p.size());
          } else {
            buffers = Math.addExact(buffers, p.size());
          }
        }
      }
      this.totalSize = Math.addExact(trainable, buffers);
    } catch (ArithmeticException e) { // an int overflowed: a spec typo (dense(99999999)), not a bug to trace
      throw new IllegalArgumentException("architecture '" + spec + "' on input " + inputShape + " has more than "
          + Integer.MAX_VALUE + " parameters; at most " + Buffers.MAX_FLOATS + " fit in memory: check the layer sizes");
    }
    this.trainableSize = trainable;
    this.params = sharedParams != null ? sharedParams : Buffers.allocate(totalSize);
    this.grads = Buffers.allocate(trainableSize);
    List<ParamView> v = new ArrayList<>();
    int tOff = 0;
    int bOff = trainableSize;
    for (int i = 0; i < layers.size(); i++) {
      List<ParamDef> d = defs.get(i);
      Map<String, Integer> offsets = new HashMap<>();
      for (ParamDef p : d) {
        int offset = p.trainable() ? tOff : bOff;
        offsets.put(p.suffix(), offset);
        v.add(new ParamView(names[i] + "." + p.suffix(), p.shape(), offset, p.size(), p.trainable()));
        if (p.trainable()) {
          tOff += p.size();
        } else {
          bOff += p.size();
        }
      }
      layers.get(i).bind(shapes.get(i), params, grads, offsets, gemm);
    }
    this.views = List.copyOf(v);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (ParamView view : views) {
      if (!seen.add(view.name())) {
        throw new IllegalArgumentException("architecture '" + spec + "' names two tensors " + view.name()
            + ": give the layers different names (name=...)");
      }
    }
    fuseEpilogues();
  }

  /** Lets each convolution apply a following ReLU and max pool itself (see Conv2d). */
  private void fuseEpilogues() {
    if (!fuse) {
      return;
    }
    for (int i = 0; i < layers.size(); i++) {
      if (!(layers.get(i) instanceof Conv2d conv)) {
        continue;
      }
      int j = i + 1;
      boolean relu = j < layers.size() && layers.get(j) instanceof ReLU;
      if (relu) {
        layers.get(j++).setFused(true);
      }
      int poolK = 0;
      int poolS = 0;
      if (j < layers.size() && layers.get(j) instanceof Pool2d p && p.fusable()) {
        p.setFused(true);
        poolK = p.kernel();
        poolS = p.stride();
      }
      conv.fuse(relu, poolK, poolS);
    }
  }

  /**
   * Whether {@link #create} fuses epilogues when not told: yes, unless the JVM runs with
   * -Dcnnspark.fuse=false (every layer on its own, for parity runs and profiling). Read once.
   */
  public static final boolean FUSE_BY_DEFAULT = !"false".equals(System.getProperty("cnnspark.fuse"));

  /** A new network with freshly initialised parameters, using this JVM's kernel backend. */
  public static Network create(ModelSpec spec, Shape inputShape, Init init, long seed) {
    return create(spec, inputShape, init, seed, Kernels.gemm());
  }

  public static Network create(ModelSpec spec, Shape inputShape, Init init, long seed, Gemm gemm) {
    return create(spec, inputShape, init, seed, gemm, FUSE_BY_DEFAULT);
  }

  /**
   * With the fused epilogue on or off for this network alone (see Conv2d): the same results
   * either way up to summation order, so tests compare both in one JVM.
   */
  public static Network create(ModelSpec spec, Shape inputShape, Init init, long seed, Gemm gemm, boolean fuse) {
    Network net = new Network(spec, inputShape, gemm, null, fuse);
    net.initialize(init, seed);
    return net;
  }

  /** Another network over the same parameter buffer with its own gradients and activations: one per thread. */
  public Network replica() {
    Network r = new Network(spec, inputShape, gemm, params, fuse);
    r.freeze(frozen);
    stopTracking(r.layers);
    return r;
  }

  /** Whether a tensor name lies under a prefix: the name itself, or a dotted descendant of it (fc: fc.weight, not fc1.weight). */
  public static boolean under(String name, String prefix) {
    String p = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return name.equals(p) || name.startsWith(p + ".");
  }

  /**
   * Freezes the trainable tensors under the given prefixes (fc, layer1, conv1.weight): the
   * optimizer leaves them alone (see {@link #frozenRanges}), batch norms whose weight is frozen
   * run in eval mode and keep their running statistics, and backward stops at the lowest layer
   * that trains. A prefix that names no trainable tensor, or prefixes that freeze every one, are
   * refused. An empty list undoes it.
   */
  public void freeze(List<String> prefixes) {
    for (String p : prefixes) {
      if (views.stream().noneMatch(v -> v.trainable() && under(v.name(), p))) {
        throw new IllegalArgumentException("--freeze " + p + " names no trainable tensor of this model; its trainable"
            + " tensors are " + views.stream().filter(ParamView::trainable).map(ParamView::name).toList());
      }
    }
    List<String> copy = List.copyOf(prefixes);
    int lowest = copy.isEmpty() ? 0 : layers.size();
    for (int i = layers.size() - 1; i >= 0 && !copy.isEmpty(); i--) {
      String prefix = names[i];
      if (prefix != null && views.stream().anyMatch(v -> v.trainable() && under(v.name(), prefix)
          && copy.stream().noneMatch(p -> under(v.name(), p)))) {
        lowest = i;
      }
    }
    if (lowest == layers.size()) { // checked before anything changes
      throw new IllegalArgumentException("--freeze " + String.join(",", copy) + " freezes every trainable tensor:"
          + " nothing would train");
    }
    for (int i = 0; i < layers.size(); i++) {
      String prefix = names[i];
      if (layers.get(i) instanceof BatchNorm2d bn) {
        bn.setFrozen(copy.stream().anyMatch(p -> under(prefix + ".weight", p)));
      } else if (layers.get(i) instanceof Residual r) {
        for (int k = 0; k < r.sublayers().size(); k++) {
          if (r.sublayers().get(k) instanceof BatchNorm2d bn) {
            String name = prefix + "." + r.sublayerName(k) + ".weight";
            bn.setFrozen(copy.stream().anyMatch(p -> under(name, p)));
          }
        }
      }
    }
    firstTrainable = lowest;
    frozen = copy;
  }

  /** The frozen prefixes ({@link #freeze}). */
  public List<String> frozen() {
    return frozen;
  }

  /** Where the frozen trainable tensors lie in [0, trainableSize): {start, end} each. */
  public List<int[]> frozenRanges() {
    return views.stream().filter(v -> v.trainable() && frozen.stream().anyMatch(p -> under(v.name(), p)))
        .map(v -> new int[] {v.offset(), v.offset() + v.size()}).toList();
  }

  /**
   * Where the values a training step never changes lie in [0, totalSize): the frozen trainable
   * tensors ({@link #frozenRanges}) and the buffers of frozen batch norms (running statistics and
   * count), {start, end} each, in order. Frozen tensors only, so empty when nothing is frozen.
   */
  public List<int[]> fixedRanges() {
    return views.stream().filter(v -> frozen.stream().anyMatch(p -> v.trainable()
        ? under(v.name(), p) : under(owner(v.name()) + ".weight", p)))
        .map(v -> new int[] {v.offset(), v.offset() + v.size()})
        .sorted(java.util.Comparator.comparingInt(r -> r[0])).toList();
  }

  /** "layer1.0.bn1" of "layer1.0.bn1.running_mean". */
  private static String owner(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(0, dot);
  }

  private static void stopTracking(List<Layer> layers) {
    for (Layer l : layers) {
      if (l instanceof BatchNorm2d bn) {
        bn.trackRunningStats(false);
      } else if (l instanceof Residual r) {
        stopTracking(r.sublayers());
      }
    }
  }

  /** Refills every tensor; each tensor's numbers depend only on (seed, its index). */
  public void initialize(Init init, long seed) {
    int t = 0;
    for (int i = 0; i < layers.size(); i++) {
      List<ParamDef> d = layers.get(i).params(shapes.get(i));
      for (ParamDef p : d) {
        ParamView view = view(names[i] + "." + p.suffix());
        init.fill(p, params, view.offset(), new SplittableRandom(Seeds.mix(seed, t++)));
      }
    }
  }

  private static List<Shape> inferShapes(ModelSpec spec, List<Layer> layers, Shape input) {
    List<Shape> s = new ArrayList<>();
    Shape cur = input;
    StringBuilder trace = new StringBuilder("  input            ").append(input).append('\n');
    for (Layer l : layers) {
      s.add(cur);
      try {
        cur = l.outputShape(cur);
      } catch (IllegalArgumentException e) {
        trace.append(String.format("  %-16s %s   <- %s%n", l.spec(), "ERROR", e.getMessage()));
        throw new IllegalArgumentException("architecture does not fit input " + input + ":\n" + trace
            + "fix the layer marked ERROR (smaller kernel or stride, padding, fewer pooling layers) or the input shape");
      }
      trace.append(String.format("  %-16s %s%n", l.spec(), cur));
    }
    s.add(cur);
    return s;
  }

  /** Forward over n examples in x (N, C, H, W); returns the logits (N, classes). */
  public FloatBuffer forward(FloatBuffer x, int n, boolean training, long seed) {
    FloatBuffer cur = x;
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      l.seed(Seeds.mix(seed, i));
      cur = l.forward(cur, n, training);
    }
    return cur;
  }

  /** Backward from dLogits (N, classes); adds into {@link #grads()}. No input gradient is formed. */
  public void backward(FloatBuffer dLogits, int n) {
    FloatBuffer cur = dLogits;
    for (int i = layers.size() - 1; i >= firstTrainable; i--) {
      cur = layers.get(i).backward(cur, n, i > firstTrainable);
    }
  }

  public void zeroGrads() {
    Buffers.zero(grads, 0, trainableSize);
  }

  /**
   * Layer table with output shapes and parameter counts, like {@code print(net)} plus shapes; a
   * residual block's row is followed by its layers, indented, main branch then shortcut.
   */
  public String summary() {
    StringBuilder sb = new StringBuilder();
    String row = "%-4s %-24s %-40s %-12s %10s%n";
    sb.append(String.format(row, "#", "name", "layer", "output", "params"));
    sb.append(String.format(row, "", "", "input", inputShape, ""));
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i);
      if (l instanceof Residual r) {
        sb.append(String.format(row, i, names[i], r.projects() ? "res (projection shortcut)" : "res (identity shortcut)",
            shapes.get(i + 1), count(names[i])));
        List<Layer> sub = r.sublayers();
        for (int k = 0; k < sub.size(); k++) {
          String name = r.sublayerName(k) == null ? "" : names[i] + "." + r.sublayerName(k);
          sb.append(String.format(row, "", "  " + name, (r.onShortcut(k) ? "  | " : "    ") + sub.get(k).spec(),
              sub.get(k).out(), r.sublayerName(k) == null ? "" : count(name)));
        }
      } else {
        sb.append(String.format(row, i, names[i] == null ? "" : names[i], l.fullSpec(), shapes.get(i + 1),
            names[i] == null ? "" : count(names[i])));
      }
    }
    sb.append(String.format("trainable parameters: %,d   buffers: %,d   classes: %d%n",
        trainableSize, totalSize - trainableSize, numClasses()));
    return sb.toString();
  }

  /** Trainable parameters under a name prefix, formatted ("" when none). */
  private String count(String prefix) {
    long count = 0;
    for (ParamView v : views) {
      if (v.name().startsWith(prefix + ".") && v.trainable()) {
        count += v.size();
      }
    }
    return count == 0 ? "" : String.format("%,d", count);
  }

  public ParamView view(String name) {
    for (ParamView v : views) {
      if (v.name().equals(name)) {
        return v;
      }
    }
    throw new IllegalArgumentException("no parameter named '" + name + "'; this model has " + names());
  }

  public List<String> names() {
    return views.stream().map(ParamView::name).toList();
  }

  public List<ParamView> views() {
    return views;
  }

  public ModelSpec spec() {
    return spec;
  }

  public Shape inputShape() {
    return inputShape;
  }

  public Shape outputShape() {
    return shapes.get(shapes.size() - 1);
  }

  public int numClasses() {
    return outputShape().size();
  }

  public List<Layer> layers() {
    return layers;
  }

  public FloatBuffer params() {
    return params;
  }

  public FloatBuffer grads() {
    return grads;
  }

  public int trainableSize() {
    return trainableSize;
  }

  public int totalSize() {
    return totalSize;
  }

  public Gemm gemm() {
    return gemm;
  }

  public float[] paramsArray() {
    return Buffers.toArray(params, totalSize);
  }

  public void setParams(float[] values) {
    if (values.length != totalSize) {
      throw new IllegalArgumentException("parameter vector has " + values.length + " floats, this model needs " + totalSize);
    }
    params.put(0, values);
  }
}
