package org.cnnspark.driver.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A data format defined outside the main code, as an application would: text files named
 * *.tiny, one 1x2x2 image a line ("label p0 p1 p2 p3"), loaded through a DataFrame. It joins
 * {@link DataFormats} by its line in src/test/resources/META-INF/services.
 */
public final class TinyTextFormat extends DataFormat {
  public TinyTextFormat() {
    super("tiny");
  }

  @Override
  public boolean matchesName(String fileName) {
    return fileName.endsWith(".tiny");
  }

  @Override
  public LoadedData load(SparkSession spark, DataOptions options) {
    Path file = new Path(options.path());
    String text;
    try (var in = file.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(file)) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Row> rows = new ArrayList<>();
    for (String line : text.strip().split("\n")) {
      int[] v = Arrays.stream(line.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
      rows.add(RowFactory.create((double) v[0], Arrays.stream(v, 1, v.length).boxed().toList()));
    }
    StructType schema = new StructType().add(options.labelCol(), DataTypes.DoubleType)
        .add(options.imageCol(), DataTypes.createArrayType(DataTypes.IntegerType));
    return Datasets.fromDataFrame(spark.createDataFrame(rows, schema), options);
  }
}
