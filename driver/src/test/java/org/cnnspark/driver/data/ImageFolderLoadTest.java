package org.cnnspark.driver.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.imageio.ImageIO;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.cnnspark.engine.Shape;
import org.cnnspark.engine.io.Idx;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image folders written here from Fashion-MNIST test images: root/<class name>/img_NNNN.png. */
class ImageFolderLoadTest extends SparkDataTest {
  static final List<String> NAMES = List.of("T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
      "Sneaker", "Bag", "Ankle_boot");
  static final int N = 60;

  @TempDir
  Path root;
  Idx.Images images;
  int[] labels;
  /** Source image indices in the order the loader must give them: folders by name, files by name. */
  List<Integer> order;
  List<String> sortedNames;

  @BeforeEach
  void writeFolders() throws IOException {
    images = fashionImages();
    labels = fashionLabels();
    for (int i = 0; i < N; i++) {
      Path folder = root.resolve(NAMES.get(labels[i]));
      Files.createDirectories(folder);
      ImageIO.write(gray(i), "png", folder.resolve(String.format("img_%04d.png", i)).toFile());
    }
    sortedNames = new ArrayList<>();
    for (String name : NAMES.stream().sorted().toList()) {
      if (Files.isDirectory(root.resolve(name))) {
        sortedNames.add(name);
      }
    }
    order = new ArrayList<>();
    for (String name : sortedNames) {
      for (int i = 0; i < N; i++) {
        if (NAMES.get(labels[i]).equals(name)) {
          order.add(i);
        }
      }
    }
  }

  private BufferedImage gray(int i) {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 28, 28, Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784));
    return img;
  }

  private BufferedImage rgb(int i) {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    for (int p = 0; p < 784; p++) {
      int v = images.pixels()[i * 784 + p] & 0xff;
      img.setRGB(p % 28, p / 28, v << 16 | (255 - v) << 8 | 128);
    }
    return img;
  }

  private byte[] source(int i) {
    return Arrays.copyOfRange(images.pixels(), i * 784, (i + 1) * 784);
  }

  @Test
  void grayPngFoldersInThreePartitions() {
    LoadedData data = load(DataOptions.of(root.toString(), 3));
    assertEquals(N, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    assertEquals(sortedNames, data.classNames());
    assertEquals(sortedNames.size(), data.numClasses());
    Flat flat = checkLayout(data, 3);
    for (int k = 0; k < N; k++) {
      int i = order.get(k);
      assertEquals(sortedNames.indexOf(NAMES.get(labels[i])), flat.labels()[k], "label of record " + k);
      assertArrayEquals(source(i), Arrays.copyOfRange(flat.pixels(), k * 784, (k + 1) * 784), "pixels of " + k);
    }
  }

  /** Spark's UI names the loading jobs after what they do, and slices hold paths relative to the root. */
  @Test
  void loadingJobsAreNamedAndSlicesHoldRelativePaths() throws Exception {
    List<String> stages = new CopyOnWriteArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onStageSubmitted(SparkListenerStageSubmitted e) {
        stages.add(e.stageInfo().name());
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      load(DataOptions.of(root.toString(), 2).withSplit(DataSplit.MIXED, 7));
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertTrue(stages.contains("cnn-spark load " + root + ": decode"), stages.toString());
    assertTrue(stages.contains("cnn-spark load " + root + ": split (mixed)"), stages.toString());

    PlannedSource.Plan plan = ImageFolderSource.plan(DataOptions.of(root.toString(), 2),
        spark.sparkContext().hadoopConfiguration(), null);
    ReadSlice first = plan.slices().get(0);
    String name = NAMES.get(labels[order.get(0)]);
    assertTrue(first.paths[0].startsWith(name + "/img_"), first.paths[0]);
    assertEquals(root.resolve(first.paths[0]).toUri().getPath(),
        new org.apache.hadoop.fs.Path(((ImageFolderSource) plan.source()).file(first, 0)).toUri().getPath());
  }

  @Test
  void givenClassNamesFixTheIndices() throws IOException {
    List<String> reversed = new ArrayList<>(NAMES);
    Collections.reverse(reversed);
    LoadedData data = load(DataOptions.of(root.toString(), 2).withClassNames(reversed));
    assertEquals(reversed, data.classNames());
    assertEquals(10, data.numClasses());
    Flat flat = checkLayout(data, 2);
    for (int k = 0; k < N; k++) {
      assertEquals(reversed.indexOf(NAMES.get(labels[order.get(k)])), flat.labels()[k]);
    }
    Files.createDirectories(root.resolve("AAA_hat"));
    ImageIO.write(gray(0), "png", root.resolve("AAA_hat/a.png").toFile());
    fails(() -> load(DataOptions.of(root.toString(), 2).withClassNames(reversed)), "folder AAA_hat",
        "is not one of the 10 classes",
        "remove or rename");
    LoadedData unlabelled = load(DataOptions.of(root.toString(), 2).withClassNames(reversed).withLabelsOptional(true));
    assertEquals(N + 1, unlabelled.count());
    assertEquals(-1, checkLayout(unlabelled, 2).labels()[0], "AAA_hat sorts first and has no class");
  }

  @Test
  void rgbJpegsAndChannelConversion() throws IOException {
    Path jpegs = root.resolve("../jpegs").normalize();
    for (int i = 0; i < 8; i++) {
      Path folder = jpegs.resolve(i % 2 == 0 ? "even" : "odd");
      Files.createDirectories(folder);
      ImageIO.write(rgb(i), "jpg", folder.resolve(i + ".jpg").toFile());
    }
    LoadedData data = load(DataOptions.of(jpegs.toString(), 3));
    assertEquals(new Shape(3, 28, 28), data.shape());
    assertEquals(List.of("even", "odd"), data.classNames());
    Flat flat = checkLayout(data, 3);
    // "0.jpg" had R = v, G = 255 - v, B = 128: JPEG is lossy, but each plane is near its own
    // formula and far from the others, so the channel order is RGB.
    double[][] err = new double[3][3];
    for (int p = 0; p < 784; p++) {
      int v = images.pixels()[p] & 0xff;
      int[] formula = {v, 255 - v, 128};
      for (int plane = 0; plane < 3; plane++) {
        for (int f = 0; f < 3; f++) {
          err[plane][f] += Math.abs((flat.pixels()[plane * 784 + p] & 0xff) - formula[f]) / 784.0;
        }
      }
    }
    for (int plane = 0; plane < 3; plane++) {
      for (int f = 0; f < 3; f++) {
        if (f != plane) {
          assertTrue(err[plane][plane] < err[plane][f] / 2, "plane " + plane + " errors " + Arrays.toString(err[plane]));
        }
      }
    }
    fails(() -> load(DataOptions.of(jpegs.toString(), 2).withInputShape(new Shape(1, 28, 28), false)),
        "image file", ".jpg", "is 3x28x28 but the input shape is 1x28x28", "--resize");
    LoadedData gray = load(DataOptions.of(jpegs.toString(), 2).withInputShape(new Shape(1, 28, 28), true));
    assertEquals(8 * 784, checkLayout(gray, 2).pixels().length);
  }

  @Test
  void wrongSizeFailsOrIsResized() throws IOException {
    BufferedImage big = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    Path odd = root.resolve(sortedNames.get(sortedNames.size() - 1)).resolve("zz_big.png");
    ImageIO.write(big, "png", odd.toFile());
    fails(() -> load(DataOptions.of(root.toString(), 2)), odd.toString(), "is 1x32x32 but the input shape is 1x28x28",
        "--resize");
    LoadedData data = load(DataOptions.of(root.toString(), 2).withInputShape(null, true));
    assertEquals(N + 1, data.count());
    assertEquals(new Shape(1, 28, 28), data.shape());
    checkLayout(data, 2);
  }

  @Test
  void undecodableImagesFailOrAreSkipped() throws IOException {
    Path folder = root.resolve(sortedNames.get(0));
    Path junk = folder.resolve("img_0000a_junk.png");
    Files.writeString(junk, "not a png");
    Path cut = folder.resolve("img_0000b_cut.jpg");
    ImageIO.write(rgb(0), "jpg", cut.toFile());
    byte[] jpeg = Files.readAllBytes(cut);
    Files.write(cut, Arrays.copyOf(jpeg, jpeg.length / 2));
    DataException e = fails(() -> load(DataOptions.of(root.toString(), 1)), "image file", "--skip-bad-records");
    assertTrue(e.getMessage().contains(junk.toString()) || e.getMessage().contains(cut.toString()), e.getMessage());
    Files.delete(junk);
    fails(() -> load(DataOptions.of(root.toString(), 1)), cut.toString(), "is a damaged JPEG image");
    Files.writeString(junk, "not a png");
    LoadedData data = load(DataOptions.of(root.toString(), 3).withSkipBadRecords(true));
    assertEquals(2, data.skipped());
    assertEquals(N, data.count());
    Flat flat = checkLayout(data, 3);
    for (int k = 0; k < N; k++) {
      assertArrayEquals(source(order.get(k)), Arrays.copyOfRange(flat.pixels(), k * 784, (k + 1) * 784));
    }
  }

  @Test
  void badFolderLayouts() throws IOException {
    ImageIO.write(gray(0), "png", root.resolve("loose.png").toFile());
    fails(() -> load(DataOptions.of(root.toString(), 2)), "outside class sub-folders", "loose.png",
        "move each image into a sub-folder");
    fails(() -> load(DataOptions.of(root.resolve("loose.png").toString(), 2).withFormat("images")), "is a file",
        "one sub-folder per class");
    Path empty = Files.createDirectories(root.resolve("../empty/cats")).getParent();
    Files.writeString(empty.resolve("cats/readme.txt"), "no images here");
    fails(() -> load(DataOptions.of(empty.toString(), 2)), empty.normalize().toString(), "holds no images", "empty");
    Path flatDir = Files.createDirectories(root.resolve("../flat"));
    ImageIO.write(gray(1), "png", flatDir.resolve("1.png").toFile());
    fails(() -> load(DataOptions.of(flatDir.toString(), 2).withFormat("images")), "outside class sub-folders");
    LoadedData unlabelled = load(DataOptions.of(flatDir.toString(), 2).withFormat("images").withLabelsOptional(true));
    assertArrayEquals(new int[] {-1}, checkLayout(unlabelled, 2).labels());
    assertArrayEquals(source(1), checkLayout(unlabelled, 2).pixels());
  }
}
