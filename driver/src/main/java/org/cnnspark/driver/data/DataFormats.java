package org.cnnspark.driver.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The data formats by name, in detection order: the built-in ones, then those found on the class
 * path through {@link ServiceLoader} (a jar or a test listing its {@link DataFormat} subclasses in
 * {@code META-INF/services/org.cnnspark.driver.data.DataFormat}), so a format of one's own is
 * added without changing this project.
 */
public final class DataFormats {
  private static final List<DataFormat> FORMATS = load();

  private DataFormats() {}

  private static List<DataFormat> load() {
    List<DataFormat> formats = new ArrayList<>(List.of(IdxSource.FORMAT, CifarSource.FORMAT, ImageFolderSource.FORMAT,
        DataFrameSource.PARQUET));
    for (DataFormat f : ServiceLoader.load(DataFormat.class)) {
      if (formats.stream().anyMatch(g -> g.name().equals(f.name()))) {
        throw new IllegalStateException("two data formats are named '" + f.name() + "': " + f.getClass().getName()
            + " on the class path and one before it");
      }
      formats.add(f);
    }
    return List.copyOf(formats);
  }

  /** Every format, in detection order. */
  public static List<DataFormat> all() {
    return FORMATS;
  }

  /** The format of this name (any case), if there is one. */
  public static Optional<DataFormat> find(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    return FORMATS.stream().filter(f -> f.name().equals(n)).findFirst();
  }

  /** The format of this name (any case); an unknown name is refused with the known ones. */
  public static DataFormat get(String name) {
    return find(name).orElseThrow(() -> new DataException("unknown data format '" + name + "': use one of "
        + names(", ") + " (or leave it out to detect it from the path)"));
  }

  /** Every format's name, joined by {@code separator}. */
  public static String names(String separator) {
    return String.join(separator, FORMATS.stream().map(DataFormat::name).toList());
  }
}
