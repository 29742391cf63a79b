package org.cnnspark.driver.data;

import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.broadcast.Broadcast;
import org.cnnspark.engine.Shape;

/**
 * A source whose records can be counted and located before decoding (IDX, CIFAR, image folders):
 * the driver plans one {@link ReadSlice} per partition and each executor task decodes its own
 * slice, so no data passes through the driver and nothing is shuffled.
 */
abstract class PlannedSource implements Serializable {
  private static final long serialVersionUID = 1L;

  final Target target;
  final Broadcast<byte[]> conf;

  PlannedSource(Target target, Broadcast<byte[]> conf) {
    this.target = target;
    this.conf = conf;
  }

  /** Decodes the slice's records, in order, into the sink. Runs on an executor. */
  abstract void read(ReadSlice slice, BlockSink sink, Configuration hadoop) throws IOException;

  /** What the driver planned: the source, one slice per partition, and the dataset's facts. */
  record Plan(PlannedSource source, List<ReadSlice> slices, Shape shape, int numClasses, List<String> classNames) {}
}
