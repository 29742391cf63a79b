package org.cnnspark.engine.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cnnspark.engine.Seeds;
import org.cnnspark.engine.Shape;

/**
 * A residual block: y = main(x) + shortcut(x), the shortcut being the identity or a projection
 * (torchvision's {@code downsample}, e.g. a 1x1 stride-2 convolution and batch norm). Both
 * branches are sequences of layers and must end in the same shape. The ReLU after the addition is
 * the next layer of the network, so a torchvision BasicBlock is {@code res(conv bn relu conv bn) relu}.
 *
 * <p>Parameter names inside the block follow torchvision's blocks: the main branch's layers are
 * numbered per family as the network numbers its own (conv1, bn1, conv2, ...), the shortcut's by
 * position like an {@code nn.Sequential} (downsample.0, downsample.1); the network prefixes them
 * with the block's name (layer1.0, see Network).
 */
public final class Residual extends Layer {
  private final List<Layer> main;
  private final List<Layer> shortcut;
  /** Names of the tensors' owners, per layer (null for a layer without parameters). */
  private final String[] mainNames;
  private final String[] shortcutNames;
  private final List<Shape> mainShapes = new ArrayList<>();
  private final List<Shape> shortcutShapes = new ArrayList<>();
  private float[] a;
  private float[] b;

  public Residual(List<Layer> main, List<Layer> shortcut) {
    if (main.isEmpty()) {
      throw new IllegalArgumentException("architecture: res needs a main branch, e.g. res(conv(16,3,pad=1) batchnorm)");
    }
    this.main = List.copyOf(main);
    this.shortcut = List.copyOf(shortcut);
    this.mainNames = new String[main.size()];
    Map<String, Integer> counters = new HashMap<>();
    for (int i = 0; i < main.size(); i++) {
      String fam = main.get(i).family();
      mainNames[i] = main.get(i).name() != null ? main.get(i).name()
          : fam == null ? null : fam + counters.merge(fam, 1, Integer::sum);
    }
    this.shortcutNames = new String[shortcut.size()];
    for (int i = 0; i < shortcut.size(); i++) {
      shortcutNames[i] = shortcut.get(i).name() != null ? shortcut.get(i).name() : "downsample." + i;
    }
  }

  @Override
  public String spec() {
    StringBuilder sb = new StringBuilder("res(");
    append(sb, main);
    if (!shortcut.isEmpty()) {
      sb.append(" | ");
      append(sb, shortcut);
    }
    return sb.append(')').toString();
  }

  private static void append(StringBuilder sb, List<Layer> layers) {
    for (int i = 0; i < layers.size(); i++) {
      sb.append(i == 0 ? "" : " ").append(layers.get(i).fullSpec());
    }
  }

  /** The block's layers, main branch first (for walks over every layer of a network). */
  public List<Layer> sublayers() {
    List<Layer> all = new ArrayList<>(main);
    all.addAll(shortcut);
    return all;
  }

  /** The name of sublayers().get(k) within the block (conv1, downsample.0, ...; null without parameters). */
  public String sublayerName(int k) {
    return k < main.size() ? mainNames[k] : shortcutNames[k - main.size()];
  }

  /** Whether sublayers().get(k) is on the shortcut. */
  public boolean onShortcut(int k) {
    return k >= main.size();
  }

  /** Whether the shortcut is a projection rather than the identity. */
  public boolean projects() {
    return !shortcut.isEmpty();
  }

  @Override
  public Shape outputShape(Shape in) {
    Shape m = chain(in, main, null, "main branch");
    Shape s = chain(in, shortcut, null, "shortcut");
    if (!m.equals(s)) {
      throw new IllegalArgumentException("the main branch gives " + m + " but the "
          + (shortcut.isEmpty() ? "identity shortcut gives the input, " : "shortcut gives ") + s
          + "; make them agree, e.g. with a projection shortcut 'res(... | conv(" + m.c() + ",1,stride=S,bias=false) batchnorm)'");
    }
    return m;
  }

  /** The output shape of a branch on {@code in}; fills {@code shapes} with each layer's input shape. */
  private static Shape chain(Shape in, List<Layer> layers, List<Shape> shapes, String branch) {
    Shape cur = in;
    for (Layer l : layers) {
      if (shapes != null) {
        shapes.add(cur);
      }
      try {
        cur = l.outputShape(cur);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("in the " + branch + ", " + l.spec() + " on " + cur + ": " + e.getMessage());
      }
    }
    return cur;
  }

  @Override
  public List<ParamDef> params(Shape in) {
    List<ParamDef> out = new ArrayList<>();
    addParams(out, in, main, mainNames);
    addParams(out, in, shortcut, shortcutNames);
    return out;
  }

  private static void addParams(List<ParamDef> out, Shape in, List<Layer> layers, String[] names) {
    Shape cur = in;
    for (int i = 0; i < layers.size(); i++) {
      for (ParamDef d : layers.get(i).params(cur)) {
        out.add(new ParamDef(names[i] + "." + d.suffix(), d.shape(), d.trainable(), d.init(), d.fanIn(), d.fanOut()));
      }
      cur = layers.get(i).outputShape(cur);
    }
  }

  @Override
  protected void bound(Map<String, Integer> offsets) {
    mainShapes.clear();
    shortcutShapes.clear();
    chain(in, main, mainShapes, "main branch");
    chain(in, shortcut, shortcutShapes, "shortcut");
    bindAll(main, mainNames, mainShapes, offsets);
    bindAll(shortcut, shortcutNames, shortcutShapes, offsets);
  }

  private void bindAll(List<Layer> layers, String[] names, List<Shape> shapes, Map<String, Integer> offsets) {
    for (int i = 0; i < layers.size(); i++) {
      Map<String, Integer> own = new HashMap<>();
      for (ParamDef d : layers.get(i).params(shapes.get(i))) {
        own.put(d.suffix(), offsets.get(names[i] + "." + d.suffix()));
      }
      layers.get(i).bind(shapes.get(i), params, grads, own, gemm);
    }
  }

  @Override
  public void seed(long seed) {
    List<Layer> all = sublayers();
    for (int i = 0; i < all.size(); i++) {
      all.get(i).seed(Seeds.mix(seed, i));
    }
  }

  @Override
  public FloatBuffer forward(FloatBuffer x, int n, boolean training) {
    this.x = x;
    FloatBuffer m = x;
    for (Layer l : main) {
      m = l.forward(m, n, training);
    }
    FloatBuffer s = x;
    for (Layer l : shortcut) {
      s = l.forward(s, n, training);
    }
    FloatBuffer y = outBuffer(n);
    sum(m, s, y, n * out.size());
    return y;
  }

  @Override
  public FloatBuffer backward(FloatBuffer dy, int n, boolean needDx) {
    // layers never write into the dy they are given, so both branches may read it
    FloatBuffer dm = dy;
    for (int i = main.size() - 1; i >= 0; i--) {
      dm = main.get(i).backward(dm, n, needDx || i > 0);
    }
    FloatBuffer ds = dy;
    for (int i = shortcut.size() - 1; i >= 0; i--) {
      ds = shortcut.get(i).backward(ds, n, needDx || i > 0);
    }
    if (!needDx) {
      return null;
    }
    FloatBuffer dx = dxBuffer(n);
    sum(dm, ds, dx, n * in.size());
    return dx;
  }

  /** dst = p + q over len floats, a tile at a time. */
  private void sum(FloatBuffer p, FloatBuffer q, FloatBuffer dst, int len) {
    a = tile(a, 4096);
    b = tile(b, 4096);
    for (int off = 0; off < len; off += 4096) {
      int m = Math.min(4096, len - off);
      p.get(off, a, 0, m);
      q.get(off, b, 0, m);
      for (int i = 0; i < m; i++) {
        a[i] += b[i];
      }
      dst.put(off, a, 0, m);
    }
  }
}
