package org.cnnspark.driver.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.spark.SparkContext;
import org.apache.spark.connect.proto.Command;
import org.apache.spark.connect.proto.ExecutePlanRequest;
import org.apache.spark.connect.proto.ExecutePlanResponse;
import org.apache.spark.connect.proto.Expression;
import org.apache.spark.connect.proto.Fetch;
import org.apache.spark.connect.proto.MlCommand;
import org.apache.spark.connect.proto.MlCommandResult;
import org.apache.spark.connect.proto.MlOperator;
import org.apache.spark.connect.proto.MlParams;
import org.apache.spark.connect.proto.MlRelation;
import org.apache.spark.connect.proto.ObjectRef;
import org.apache.spark.connect.proto.Plan;
import org.apache.spark.connect.proto.Project;
import org.apache.spark.connect.proto.Read;
import org.apache.spark.connect.proto.Relation;
import org.apache.spark.connect.proto.ReleaseSessionRequest;
import org.apache.spark.connect.proto.SparkConnectServiceGrpc;
import org.apache.spark.connect.proto.UserContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connect.service.SparkConnectService;
import org.apache.spark.sql.connect.service.SparkConnectService$;
import org.cnnspark.driver.LocalSpark;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkproject.connect.grpc.ManagedChannel;
import org.sparkproject.connect.grpc.StatusRuntimeException;
import org.sparkproject.connect.grpc.netty.NettyChannelBuilder;
import scala.Option;

/**
 * The Estimator and its Model through Spark Connect ML: a Connect server in this JVM (Spark's
 * spark-connect, on a free loopback port, over a local[2] session) and a client speaking the
 * protocol as PySpark's ML does under Connect: MlCommand Fit, Fetch, Write and Read, and
 * MlRelation Transform, sent as protobuf over gRPC with Spark's generated stubs (Spark's JVM
 * Connect client has no ML API). The client reads the data by path, as a remote client would.
 */
class SparkConnectMlTest {
  static final String ARCH = "conv(8,3,pad=1) relu maxpool(2) flatten dense(10)";

  @TempDir
  static Path dir;
  static SparkSession spark;
  static boolean serving;
  static ManagedChannel channel;
  static SparkConnectServiceGrpc.SparkConnectServiceBlockingStub stub;
  static final String SESSION = UUID.randomUUID().toString();
  static Relation data;

  @BeforeAll
  static void start() throws IOException {
    // a Connect server of another Spark line does not run on this one (Maven serves no spark-connect 4.1.x)
    String sparkVersion = SparkContext.class.getPackage().getImplementationVersion();
    String connectVersion = SparkConnectService.class.getPackage().getImplementationVersion();
    assumeTrue(java.util.Objects.equals(sparkVersion, connectVersion), "the spark-connect jar on the test classpath is "
        + connectVersion + ", Spark is " + sparkVersion + ": no Connect server of this Spark line to test against");
    LocalSpark.Subset s = LocalSpark.fashion("train", 0, 200);
    spark = LocalSpark.start(2, "cnn-spark Connect ML test",
        Map.of("spark.connect.grpc.binding.address", "127.0.0.1", "spark.connect.grpc.binding.port", "0"));
    String parquet = dir.resolve("fashion-200.parquet").toString();
    CnnClassifierTest.frame(spark, s, 2).write().parquet(parquet);
    SparkConnectService.start(spark.sparkContext());
    serving = true;
    // port 0 = a free one; localPort is Spark's own accessor for tests (package-private in Scala, public in bytecode)
    int port = SparkConnectService$.MODULE$.localPort();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    stub = SparkConnectServiceGrpc.newBlockingStub(channel);
    data = Relation.newBuilder().setRead(Read.newBuilder().setDataSource(
        Read.DataSource.newBuilder().setFormat("parquet").addPaths(parquet))).build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      stub.releaseSession(ReleaseSessionRequest.newBuilder().setSessionId(SESSION).setUserContext(user()).build());
      channel.shutdownNow();
    }
    if (serving) {
      SparkConnectService.stop(Option.empty(), Option.empty());
      // the closed session leaves Spark 4.1+'s model cache directory of the session behind, empty
      java.io.File cache = Path.of(System.getProperty("java.io.tmpdir"), "spark_connect_model_cache", SESSION).toFile();
      cache.delete();
    }
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void fitTransformSaveAndLoadOverConnect() throws IOException {
    MlParams params = params(Map.of("architecture", ARCH, "epochs", 1, "batchSize", 32, "lr", 0.05, "numWorkers", 2,
        "seed", 3L, "roundsPerEpoch", 2, "split", "contiguous", "lrScaling", "none", "warmupEpochs", 0.0));
    MlCommandResult fit = ml(MlCommand.newBuilder().setFit(MlCommand.Fit.newBuilder()
        .setEstimator(operator(CnnClassifier.class, MlOperator.OperatorType.OPERATOR_TYPE_ESTIMATOR).setUid("cnn-connect"))
        .setParams(params).setDataset(data)));
    String fitted = fit.getOperatorInfo().getObjRef().getId();

    Map<Long, Double> predicted = predictions(fitted);
    assertEquals(200, predicted.size());
    assertTrue(predicted.values().stream().allMatch(p -> p >= 0 && p <= 9 && p == Math.rint(p)), predicted.toString());
    assertTrue(predicted.values().stream().distinct().count() > 1, "a trained network predicts more than one class");

    String description = ml(MlCommand.newBuilder().setFetch(Fetch.newBuilder().setObjRef(ref(fitted))
        .addMethods(Fetch.Method.newBuilder().setMethod("toString")))).getParam().getString();
    assertTrue(description.startsWith("CnnClassificationModel: uid=cnn-connect, architecture="), description);
    // the server lets a client call only the methods on its allow-list: results travel as Params
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ml(MlCommand.newBuilder()
        .setFetch(Fetch.newBuilder().setObjRef(ref(fitted)).addMethods(Fetch.Method.newBuilder().setMethod("modelFile")))));
    assertTrue(refused.getMessage().contains("modelFile"), refused.getMessage());

    String saved = dir.resolve("model").toString();
    ml(MlCommand.newBuilder().setWrite(MlCommand.Write.newBuilder().setObjRef(ref(fitted)).setPath(saved)));
    MlCommandResult read = ml(MlCommand.newBuilder().setRead(MlCommand.Read.newBuilder()
        .setOperator(operator(CnnClassificationModel.class, MlOperator.OperatorType.OPERATOR_TYPE_MODEL)).setPath(saved)));
    MlCommandResult.MlOperatorInfo loaded = read.getOperatorInfo();
    assertEquals("cnn-connect", loaded.getUid());
    Map<String, Expression.Literal> got = loaded.getParams().getParamsMap();
    assertEquals(10, got.get("numClasses").getInteger());
    assertEquals(2, got.get("trainingMetrics").getArray().getElementsCount(), "one metrics line per round");
    assertEquals("features", got.get("featuresCol").getString());

    assertEquals(predicted, predictions(loaded.getObjRef().getId()), "the loaded model predicts as the fitted one");
    Dataset<Row> local = CnnClassificationModel.load(saved).transform(spark.read().parquet(data.getRead()
        .getDataSource().getPaths(0)));
    Map<Long, Double> direct = new TreeMap<>();
    for (Row r : local.select("id", "prediction").collectAsList()) {
      direct.put(r.getLong(0), r.getDouble(1));
    }
    assertEquals(predicted, direct, "and as the model loaded without Connect");
  }

  /** id -> prediction of the cached model {@code id} over the data, with transform's params set by the client. */
  static Map<Long, Double> predictions(String model) throws IOException {
    Relation transformed = Relation.newBuilder().setMlRelation(MlRelation.newBuilder().setTransform(
        MlRelation.Transform.newBuilder().setObjRef(ref(model)).setInput(data)
            .setParams(params(Map.of("predictionCol", "pred", "probabilityCol", ""))))).build();
    Relation projected = Relation.newBuilder().setProject(Project.newBuilder().setInput(transformed)
        .addExpressions(column("id")).addExpressions(column("pred"))).build();
    Map<Long, Double> out = new TreeMap<>();
    try (RootAllocator memory = new RootAllocator()) {
      Iterator<ExecutePlanResponse> responses = stub.executePlan(request(Plan.newBuilder().setRoot(projected)));
      while (responses.hasNext()) {
        ExecutePlanResponse r = responses.next();
        if (!r.hasArrowBatch()) {
          continue;
        }
        try (ArrowStreamReader batches = new ArrowStreamReader(
            new ByteArrayInputStream(r.getArrowBatch().getData().toByteArray()), memory)) {
          VectorSchemaRoot root = batches.getVectorSchemaRoot();
          while (batches.loadNextBatch()) {
            BigIntVector id = (BigIntVector) root.getVector("id");
            Float8Vector pred = (Float8Vector) root.getVector("pred");
            for (int i = 0; i < root.getRowCount(); i++) {
              out.put(id.get(i), pred.get(i));
            }
          }
        }
      }
    }
    return out;
  }

  /** Runs one ML command and returns its result (the server answers with one among other responses). */
  static MlCommandResult ml(MlCommand.Builder command) {
    Iterator<ExecutePlanResponse> responses = stub.executePlan(
        request(Plan.newBuilder().setCommand(Command.newBuilder().setMlCommand(command))));
    List<MlCommandResult> results = new ArrayList<>();
    responses.forEachRemaining(r -> {
      if (r.hasMlCommandResult()) {
        results.add(r.getMlCommandResult());
      }
    });
    assertEquals(1, results.size(), "one ML command result");
    return results.get(0);
  }

  static ExecutePlanRequest request(Plan.Builder plan) {
    return ExecutePlanRequest.newBuilder().setSessionId(SESSION).setUserContext(user()).setClientType("cnn-spark test")
        .setPlan(plan).build();
  }

  static UserContext user() {
    return UserContext.newBuilder().setUserId("cnn-spark").build();
  }

  static MlOperator.Builder operator(Class<?> cls, MlOperator.OperatorType type) {
    return MlOperator.newBuilder().setName(cls.getName()).setType(type);
  }

  static ObjectRef ref(String id) {
    return ObjectRef.newBuilder().setId(id).build();
  }

  static Expression column(String name) {
    return Expression.newBuilder().setUnresolvedAttribute(
        Expression.UnresolvedAttribute.newBuilder().setUnparsedIdentifier(name)).build();
  }

  /** Params as literals, typed as PySpark sends them (Python int -> long for LongParams, float -> double). */
  static MlParams params(Map<String, Object> values) {
    MlParams.Builder b = MlParams.newBuilder();
    values.forEach((name, v) -> {
      Expression.Literal.Builder l = Expression.Literal.newBuilder();
      if (v instanceof String s) {
        l.setString(s);
      } else if (v instanceof Integer i) {
        l.setInteger(i);
      } else if (v instanceof Long n) {
        l.setLong(n);
      } else {
        l.setDouble((Double) v);
      }
      b.putParams(name, l.build());
    });
    return b.build();
  }
}
