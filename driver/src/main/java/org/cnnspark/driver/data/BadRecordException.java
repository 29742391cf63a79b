package org.cnnspark.driver.data;

/**
 * One record is bad (does not decode, wrong shape, bad label). The message says what is wrong but
 * not where: {@link BlockSink#bad} adds the file and record, then skips it or fails the load.
 */
final class BadRecordException extends Exception {
  BadRecordException(String what) {
    super(what);
  }
}
