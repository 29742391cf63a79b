package org.cnnspark.driver.train;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * One round's figures, as the console line and as one JSON line of metrics.jsonl. The one owner of
 * that file's schema: everything that writes or reads a metrics line goes through {@link #toJson}
 * and {@link #fromJson}.
 *
 * @param epoch 1-based
 * @param round 1-based within the epoch
 * @param loss mean training loss over the round's minibatches (each measured before its update)
 * @param trainAccuracy fraction of the round's training examples predicted right (same moment)
 * @param testLoss mean test loss after the round, NaN when the test set was not scored this round
 * @param testAccuracy test accuracy after the round, NaN when not scored
 * @param seconds wall time of the training round (broadcast, tasks, reduction), without scoring
 * @param taskSeconds the longest time a task spent in the engine this round (seconds minus this is
 *     what Spark adds: scheduling, broadcast, result transfer, averaging, and waiting for a straggler)
 * @param lr the learning rate at the round's start (t = epoch + round / K, see {@link LearningRate});
 *     NaN in a line written before rates were recorded
 * @param broadcastSeconds the longest a task waited for the round's broadcast (parameters, state)
 * @param reduceSeconds the longest reduce task when results are summed through the shuffle, else 0
 * @param driverSeconds the driver's own work outside Spark's jobs: broadcasting the state, summing
 *     collected results or assembling the shards, the outer step. These three are NaN in lines
 *     written before they were recorded; seconds minus them and taskSeconds is scheduling,
 *     serialisation, result transfer and waiting for stragglers
 */
public record RoundMetrics(int epoch, int round, int roundsPerEpoch, long examples, double loss, double trainAccuracy,
    double testLoss, double testAccuracy, long testExamples, double seconds, double taskSeconds, double evalSeconds,
    double lr, double broadcastSeconds, double reduceSeconds, double driverSeconds) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Without the split of a round's time. */
  public RoundMetrics(int epoch, int round, int roundsPerEpoch, long examples, double loss, double trainAccuracy,
      double testLoss, double testAccuracy, long testExamples, double seconds, double taskSeconds, double evalSeconds,
      double lr) {
    this(epoch, round, roundsPerEpoch, examples, loss, trainAccuracy, testLoss, testAccuracy, testExamples, seconds,
        taskSeconds, evalSeconds, lr, Double.NaN, Double.NaN, Double.NaN);
  }
  /** Fields every line has (the rest are written only when the test set was scored). */
  private static final String[] REQUIRED = {"epoch", "round", "loss", "train_accuracy", "images_per_s", "seconds"};

  public double imagesPerSecond() {
    return seconds > 0 ? examples / seconds : 0;
  }

  public boolean tested() {
    return !Double.isNaN(testAccuracy);
  }

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("epoch", epoch);
    o.put("round", round);
    o.put("rounds_per_epoch", roundsPerEpoch);
    o.put("examples", examples);
    o.put("loss", loss);
    o.put("train_accuracy", trainAccuracy);
    if (!Double.isNaN(lr)) {
      o.put("lr", lr);
    }
    if (tested()) {
      o.put("test_loss", testLoss);
      o.put("test_accuracy", testAccuracy);
      o.put("test_examples", testExamples);
      o.put("eval_seconds", evalSeconds);
    }
    o.put("images_per_s", imagesPerSecond());
    o.put("seconds", seconds);
    o.put("task_seconds", taskSeconds);
    if (!Double.isNaN(driverSeconds)) {
      o.put("broadcast_seconds", broadcastSeconds);
      o.put("reduce_seconds", reduceSeconds);
      o.put("driver_seconds", driverSeconds);
    }
    return o.toString();
  }

  /**
   * Reads back a {@link #toJson()} line (a resumed run's earlier rounds, the report, inspect); an
   * IllegalArgumentException saying what is wrong when it is not one.
   */
  public static RoundMetrics fromJson(String line) {
    JsonNode o;
    try {
      // NaN (a round without examples) is written as a bare NaN token
      o = JSON.reader().with(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).readTree(line);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    for (String field : REQUIRED) {
      if (!o.path(field).isNumber()) {
        throw new IllegalArgumentException("no number '" + field + "'");
      }
    }
    return new RoundMetrics(o.path("epoch").asInt(), o.path("round").asInt(), Math.max(1, o.path("rounds_per_epoch").asInt(1)),
        o.path("examples").asLong(), o.path("loss").asDouble(), o.path("train_accuracy").asDouble(),
        o.path("test_loss").asDouble(Double.NaN), o.path("test_accuracy").asDouble(Double.NaN),
        o.path("test_examples").asLong(), o.path("seconds").asDouble(), o.path("task_seconds").asDouble(),
        o.path("eval_seconds").asDouble(), o.path("lr").asDouble(Double.NaN),
        o.path("broadcast_seconds").asDouble(Double.NaN), o.path("reduce_seconds").asDouble(Double.NaN),
        o.path("driver_seconds").asDouble(Double.NaN));
  }

  /** The console progress line. */
  public String line(int epochs) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("epoch %d/%d", epoch, epochs));
    if (roundsPerEpoch > 1) {
      sb.append(String.format(" round %d/%d", round, roundsPerEpoch));
    }
    sb.append(String.format(": loss %.4f  train acc %.2f%%", loss, 100 * trainAccuracy));
    if (!Double.isNaN(lr)) {
      sb.append(String.format("  lr %.4g", lr));
    }
    if (tested()) {
      sb.append(String.format("  test loss %.4f  test acc %.2f%%", testLoss, 100 * testAccuracy));
    }
    sb.append(String.format("  %,.0f img/s  %.1f s", imagesPerSecond(), seconds));
    return sb.toString();
  }
}
