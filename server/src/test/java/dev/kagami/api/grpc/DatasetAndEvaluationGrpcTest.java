package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.CompareReportsRequest;
import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.DatasetSourceKind;
import dev.kagami.api.v1.EvaluateProgress;
import dev.kagami.api.v1.EvaluateRequest;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.GetDatasetRequest;
import dev.kagami.api.v1.GetReportRequest;
import dev.kagami.api.v1.ImportDatasetProgress;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.Kpi;
import dev.kagami.api.v1.ListDatasetsRequest;
import dev.kagami.api.v1.ListReportsRequest;
import dev.kagami.api.v1.Report;
import dev.kagami.api.v1.ReportComparison;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Images;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Import a dataset, evaluate the served model on it, list, fetch and compare reports: real gRPC calls. */
@QuarkusTest
class DatasetAndEvaluationGrpcTest {

  static ManagedChannel channel;
  static DatasetServiceGrpc.DatasetServiceBlockingStub datasets;
  static EvaluationServiceGrpc.EvaluationServiceBlockingStub evaluation;
  static Path dir;

  @jakarta.inject.Inject
  dev.kagami.embedding.Embedder embedder;

  @BeforeAll
  static void setUp() throws Exception {
    channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().build();
    datasets = DatasetServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    evaluation = EvaluationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    dir = Files.createTempDirectory("kagami-ds");
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE};
    String[] names = {"red", "green", "blue", "orange"};
    List<String> lines = new ArrayList<>();
    for (int c = 0; c < colors.length; c++) {
      for (int i = 0; i < 10; i++) {
        Path p = dir.resolve(names[c] + "-" + i + ".png");
        Files.write(p, Images.png(50 + 5 * i, 40 + 3 * i, colors[c]));
        lines.add("{\"image\": \"" + p.getFileName() + "\", \"label\": \"" + names[c] + "\", \"captions\": [\"a "
            + names[c] + " disc\"]}");
      }
    }
    lines.add("{\"image\": \"missing.png\", \"label\": \"red\"}");
    Files.write(dir.resolve("colors.jsonl"), lines);
  }

  @AfterAll
  static void tearDown() {
    channel.shutdownNow();
  }

  static <T> T last(Iterator<T> it, List<T> all) {
    T last = null;
    while (it.hasNext()) {
      last = it.next();
      all.add(last);
    }
    return last;
  }

  @Test
  void import_evaluate_list_get_and_compare() {
    List<ImportDatasetProgress> progress = new ArrayList<>();
    ImportDatasetProgress done = last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("colors")
        .setKind(DatasetSourceKind.MANIFEST).setPath(dir.resolve("colors.jsonl").toString())
        .setTrainFraction(0.5).setValidationFraction(0).setTestFraction(0.5).setSeed(3).build()), progress);
    assertThat(progress.size()).isGreaterThan(1);
    assertThat(done.getDataset().getImages()).isEqualTo(40);
    assertThat(done.getDataset().getClassesList()).containsExactly("blue", "green", "orange", "red");
    assertThat(done.getDataset().getTestImages()).isEqualTo(20);
    assertThat(done.getDataset().getSkippedTotal()).isEqualTo(1);
    assertThat(done.getDataset().getSkipped(0).getRef()).endsWith("missing.png");

    assertThat(datasets.listDatasets(ListDatasetsRequest.getDefaultInstance()).getDatasetsList())
        .anySatisfy(d -> assertThat(d.getName()).isEqualTo("colors"));
    assertThat(datasets.getDataset(GetDatasetRequest.newBuilder().setName("colors").build()).getTrainImages()).isEqualTo(20);

    List<EvaluateProgress> ep = new ArrayList<>();
    long admittedBefore = embedder.admittedImages();
    Report full = last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors").setTemplates("simple").build()),
        ep).getReport();
    assertThat(ep.size()).isGreaterThan(1);
    assertThat(full.getModel()).isEqualTo("tiny-clip/1");
    assertThat(full.getImages()).isEqualTo(20);
    assertThat(full.getSummary().hasI2IMap()).isTrue();
    assertThat(full.getSummary().hasKnnAccuracy()).isTrue();
    assertThat(full.getSummary().hasZeroShotAccuracy()).isTrue();
    assertThat(full.getSummary().getT2IQueries()).isEqualTo(20);
    assertThat(full.getPerClassCount()).isEqualTo(4);
    assertThat(full.getMarkdown()).contains("| I2I mAP (full ranking) |");
    // the evaluation's images went through the same admission control as Embed calls
    assertThat(embedder.admittedImages() - admittedBefore).isGreaterThanOrEqualTo(full.getOperations().getEmbeddedImages());

    Report onlyI2i = last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors").addKpis(Kpi.I2I).build()),
        new ArrayList<>()).getReport();
    assertThat(onlyI2i.getSummary().hasKnnAccuracy()).isFalse();
    assertThat(onlyI2i.getOperations().getCachedImages()).isEqualTo(20); // embedded by the first run
    assertThat(onlyI2i.getSummary().getI2IMap()).isEqualTo(full.getSummary().getI2IMap());

    assertThat(evaluation.listReports(ListReportsRequest.newBuilder().setDataset("colors").build()).getReportsList())
        .extracting(Report::getId).containsExactly(onlyI2i.getId(), full.getId());
    assertThat(evaluation.getReport(GetReportRequest.newBuilder().setId(full.getId()).build())).isEqualTo(full);
    ReportComparison cmp = evaluation.compareReports(CompareReportsRequest.newBuilder().setBeforeId(full.getId())
        .setAfterId(onlyI2i.getId()).build());
    assertThat(cmp.getKpis(0).getKpi()).isEqualTo("I2I mAP");
    assertThat(cmp.getKpis(0).getChange()).isEqualTo(0.0);
    assertThat(cmp.getClassesCount()).isEqualTo(4);
  }


  @Test
  void an_evaluation_calibrates_its_model_version_and_search_flags_and_keeps_relevant_hits() throws Exception {
    last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("colors-calibration").setKind(DatasetSourceKind.MANIFEST)
        .setPath(dir.resolve("colors.jsonl").toString()).setTrainFraction(0.5).setValidationFraction(0).setTestFraction(0.5)
        .setSeed(3).build()), new ArrayList<>());
    Report r = last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors-calibration").setTemplates("simple")
        .build()), new ArrayList<>()).getReport();
    assertThat(r.hasCalibration()).isTrue();
    assertThat(r.getCalibration().getPrecision()).isEqualTo(0.9);
    // flat colour discs: same-colour images are near-identical, so a threshold reaches 0.9 precision for image queries
    assertThat(r.getCalibration().hasImageQueryThreshold()).isTrue();
    assertThat(r.getCalibration().getImageQueryRecall()).isBetween(0.0, 1.0);
    assertThat(r.getMarkdown()).contains("## Relevance thresholds");
    double t = r.getCalibration().getImageQueryThreshold();
    // a lower precision asked for: a threshold no higher, keeping no less of the relevant pairs
    Report loose = last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors-calibration").setTemplates("simple")
        .setCalibrationPrecision(0.5).build()), new ArrayList<>()).getReport();
    assertThat(loose.getCalibration().getPrecision()).isEqualTo(0.5);
    assertThat(loose.getCalibration().getImageQueryThreshold()).isLessThanOrEqualTo(t);
    assertThat(loose.getCalibration().getImageQueryRecall()).isGreaterThanOrEqualTo(r.getCalibration().getImageQueryRecall());
    assertThat(GrpcTesting.code(() -> last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors-calibration")
        .setCalibrationPrecision(1.5).build()), new ArrayList<>()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    // the newest report is the version's calibration: evaluate at 0.9 again so search uses it
    r = last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors-calibration").setTemplates("simple").build()),
        new ArrayList<>()).getReport();

    dev.kagami.api.v1.SearchServiceGrpc.SearchServiceBlockingStub search = dev.kagami.api.v1.SearchServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS);
    String col = "calibrated-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    search.createCollection(dev.kagami.api.v1.CreateCollectionRequest.newBuilder().setName(col).build());
    dev.kagami.api.v1.UpsertRequest.Builder up = dev.kagami.api.v1.UpsertRequest.newBuilder().setCollection(col);
    Color[] colors = {Color.RED, Color.GREEN, Color.BLUE, Color.ORANGE};
    for (int c = 0; c < colors.length; c++) {
      for (int i = 0; i < 3; i++) {
        up.addItems(dev.kagami.api.v1.UpsertItem.newBuilder().setId(c + "-" + i)
            .setImage(com.google.protobuf.ByteString.copyFrom(Images.png(60 + 7 * i, 45 + 4 * i, colors[c]))));
      }
    }
    search.upsert(up.build());
    dev.kagami.api.v1.SearchResponse all = search.search(dev.kagami.api.v1.SearchRequest.newBuilder().setCollection(col).setId("0-0")
        .setK(12).build());
    assertThat(all.hasRelevanceThreshold()).isTrue();
    assertThat((double) all.getRelevanceThreshold()).isCloseTo(t, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(all.getHitsList()).allSatisfy(h -> assertThat(h.getRelevant()).isEqualTo(h.getScore() >= all.getRelevanceThreshold()));
    assertThat(all.getHitsList()).anyMatch(dev.kagami.api.v1.SearchHit::getRelevant);
    dev.kagami.api.v1.SearchResponse relevant = search.search(dev.kagami.api.v1.SearchRequest.newBuilder().setCollection(col)
        .setId("0-0").setK(12).setRelevantOnly(true).build());
    assertThat(relevant.getHitsList()).extracting(dev.kagami.api.v1.SearchHit::getId)
        .containsExactlyElementsOf(all.getHitsList().stream().filter(dev.kagami.api.v1.SearchHit::getRelevant)
            .map(dev.kagami.api.v1.SearchHit::getId).toList());
    assertThat(relevant.getHitsCount()).isLessThan(12);
  }

  @Test
  void bad_requests_get_clear_statuses() {
    StatusRuntimeException outside = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
        () -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("etc")
            .setKind(DatasetSourceKind.FOLDER).setPath("/etc").build()), new ArrayList<>()));
    assertThat(outside.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(outside.getStatus().getDescription()).contains("not under an import root");
    assertThat(GrpcTesting.code(() -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("bad name!")
        .setKind(DatasetSourceKind.FOLDER).setPath("/tmp").build()), new ArrayList<>()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("nofolder")
        .setKind(DatasetSourceKind.FOLDER).setPath("/no/such/folder").build()), new ArrayList<>())))
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("fractions")
        .setKind(DatasetSourceKind.FOLDER).setPath(dir.toString()).setTrainFraction(0.9).setTestFraction(0.9).build()),
        new ArrayList<>()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> datasets.getDataset(GetDatasetRequest.newBuilder().setName("nope").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("nope").build()), new ArrayList<>())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> last(evaluation.evaluate(EvaluateRequest.newBuilder().setDataset("colors").setSplit("dev").build()),
        new ArrayList<>()))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> evaluation.getReport(GetReportRequest.newBuilder().setId("nope").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(GrpcTesting.code(() -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("twice")
        .setKind(DatasetSourceKind.MANIFEST).setPath(dir.resolve("colors.jsonl").toString()).build()), new ArrayList<>())))
        .isEqualTo(Status.Code.OK);
    assertThat(GrpcTesting.code(() -> last(datasets.importDataset(ImportDatasetRequest.newBuilder().setName("twice")
        .setKind(DatasetSourceKind.MANIFEST).setPath(dir.resolve("colors.jsonl").toString()).build()), new ArrayList<>())))
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
  }
}
