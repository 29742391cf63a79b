package org.cnnspark.engine;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named architectures, written out in the spec language: {@code tutorial-cnn}; torchvision's
 * {@code resnet18}, {@code resnet34} and {@code resnet50} with its layout and parameter names
 * (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc), so its state dicts load as they are;
 * and the CIFAR ResNets of He et al. 2016, {@code resnet20} and {@code resnet56} (3x3 stem, stages
 * of 16/32/64 channels; a 1x1 convolution and batch norm on the shortcut where a stage halves the
 * plane, the paper's option B). Each takes {@code (classes=N)}; without it the head has 1000
 * outputs for torchvision's and 10 for the CIFAR ones, as their papers have (training takes the
 * data's class count instead: see {@link #bareResNet}).
 */
public final class Presets {
  private Presets() {}

  /** The PyTorch tutorial model this project grew from. */
  public static final String TUTORIAL_CNN =
      "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten dense(128) relu dense(10)";

  private static final Pattern RESNET = Pattern.compile("(resnet(?:18|34|50|20|56))(?:\\(\\s*classes\\s*=\\s*(\\d+)\\s*\\))?");

  /** Blocks per stage. */
  private static final Map<String, List<Integer>> STAGES = Map.of(
      "resnet18", List.of(2, 2, 2, 2), "resnet34", List.of(3, 4, 6, 3), "resnet50", List.of(3, 4, 6, 3),
      "resnet20", List.of(3, 3, 3), "resnet56", List.of(9, 9, 9));

  /** The names, for help texts. */
  public static final List<String> NAMES = List.of("tutorial-cnn", "resnet18", "resnet34", "resnet50", "resnet20",
      "resnet56");

  /**
   * The preset's name when {@code text} names a ResNet preset without {@code (classes=N)} (its head
   * then follows the training data's class count), else null.
   */
  public static String bareResNet(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    return STAGES.containsKey(t) ? t : null;
  }

  /** The spec a preset name stands for, or null when {@code text} names none. */
  static String expand(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("tutorial-cnn")) {
      return TUTORIAL_CNN;
    }
    Matcher m = RESNET.matcher(t.replace(" ", ""));
    if (!m.matches()) {
      if (t.matches("resnet\\d*\\s*\\(.*")) {
        throw new IllegalArgumentException("architecture: '" + text.trim() + "': a ResNet preset takes one argument,"
            + " classes, e.g. resnet18(classes=10); presets: " + String.join(", ", NAMES));
      }
      return null;
    }
    String name = m.group(1);
    boolean cifar = name.equals("resnet20") || name.equals("resnet56");
    int classes = m.group(2) != null ? Integer.parseInt(m.group(2)) : cifar ? 10 : 1000;
    if (classes < 1) {
      throw new IllegalArgumentException("architecture: " + name + " needs classes >= 1");
    }
    StringBuilder sb = new StringBuilder();
    if (cifar) {
      sb.append("conv(16,3,pad=1,bias=false) batchnorm relu");
      stages(sb, STAGES.get(name), 16, false);
    } else {
      sb.append("conv(64,7,stride=2,pad=3,bias=false) batchnorm relu maxpool(3,stride=2,pad=1)");
      stages(sb, STAGES.get(name), 64, name.equals("resnet50"));
    }
    return sb.append(" gap flatten dense(").append(classes).append(",name=fc)").toString();
  }

  /** Stages of basic or bottleneck blocks; each stage after the first doubles the width and halves the plane. */
  private static void stages(StringBuilder sb, List<Integer> blocks, int width, boolean bottleneck) {
    int in = width;
    for (int s = 0; s < blocks.size(); s++) {
      int w = width << s;
      int out = bottleneck ? 4 * w : w;
      for (int b = 0; b < blocks.get(s); b++) {
        int stride = b == 0 && s > 0 ? 2 : 1;
        sb.append(" res(");
        if (bottleneck) { // torchvision puts the stride on the 3x3 convolution
          sb.append(conv(w, 1, 1, 0)).append(" batchnorm relu ").append(conv(w, 3, stride, 1)).append(" batchnorm relu ")
              .append(conv(out, 1, 1, 0)).append(" batchnorm");
        } else {
          sb.append(conv(w, 3, stride, 1)).append(" batchnorm relu ").append(conv(w, 3, 1, 1)).append(" batchnorm");
        }
        if (stride != 1 || in != out) {
          sb.append(" | ").append(conv(out, 1, stride, 0)).append(" batchnorm");
        }
        sb.append(") relu");
        in = out;
      }
    }
  }

  private static String conv(int out, int k, int stride, int pad) {
    return "conv(" + out + "," + k + (stride != 1 ? ",stride=" + stride : "") + (pad != 0 ? ",pad=" + pad : "") + ",bias=false)";
  }
}
