package org.cnnspark.driver.data;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.cnnspark.engine.Shape;

/**
 * Decodes the image column of single DataFrame rows, the same way {@link Datasets#fromDataFrame}
 * does (Spark's image struct, encoded binary, ml Vector or array of 0..255 values), for scoring a
 * DataFrame in place (Spark ML's transform) instead of loading it into blocks.
 */
public final class RowImages implements Serializable {
  private static final long serialVersionUID = 1L;

  private final DataFrameSource source;
  private final int column;
  private final String imageCol;

  private RowImages(DataFrameSource source, int column, String imageCol) {
    this.source = source;
    this.column = column;
    this.imageCol = imageCol;
  }

  /** A decoder for column {@code imageCol} of rows of {@code schema}, to images of {@code shape}. */
  public static RowImages of(StructType schema, String imageCol, Shape shape, boolean resize) {
    String[] names = schema.fieldNames();
    if (!Arrays.asList(names).contains(imageCol)) {
      throw new DataException("the DataFrame has no image column '" + imageCol + "' (its columns: "
          + String.join(", ", names) + "): name the image column (featuresCol)");
    }
    DataFrameSource source = DataFrameSource.forImages(schema.apply(imageCol).dataType(), imageCol, "the DataFrame",
        shape, resize);
    return new RowImages(source, schema.fieldIndex(imageCol), imageCol);
  }

  /** The row's image as uint8 C, H, W pixels; {@code where} names the row in the error. */
  public byte[] decode(Row row, String where) {
    try {
      return source.image(RowFactory.create(row.get(column)));
    } catch (BadRecordException e) {
      throw new DataException(where + " (column " + imageCol + ") " + e.getMessage());
    }
  }
}
