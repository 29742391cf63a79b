package org.cnnspark.driver.data;

/**
 * Bad input data: a missing, truncated or corrupt file, a record that does not decode, a wrong
 * shape, a label out of range, an empty dataset. The message names the file or record and says
 * what to do. It is an IllegalArgumentException so the CLI reports it as bad input (exit code 2).
 */
public final class DataException extends IllegalArgumentException {
  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
