package dev.kagami.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import dev.kagami.api.v1.CompareReportsRequest;
import dev.kagami.api.v1.CreateCollectionRequest;
import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.DatasetSourceKind;
import dev.kagami.api.v1.DeleteCollectionRequest;
import dev.kagami.api.v1.DeleteRequest;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.EvaluateRequest;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.FilterClause;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.GetDatasetRequest;
import dev.kagami.api.v1.GetReportRequest;
import dev.kagami.api.v1.GetRequest;
import dev.kagami.api.v1.GetRunRequest;
import dev.kagami.api.v1.ImportDatasetRequest;
import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.NumberRange;
import dev.kagami.api.v1.ReindexRequest;
import dev.kagami.api.v1.RunConfig;
import dev.kagami.api.v1.SearchRequest;
import dev.kagami.api.v1.SearchServiceGrpc;
import dev.kagami.api.v1.SetAliasRequest;
import dev.kagami.api.v1.StartRunRequest;
import dev.kagami.api.v1.StatsRequest;
import dev.kagami.api.v1.StringSet;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Malformed and boundary inputs for every kagami.v1 RPC, each with the status the API promises, shared by
 * the table-driven gRPC test and the reliability bench. {@link #COLLECTION} must exist (model of the
 * server, dimension {@code dim}) and hold one item with a text field {@code color} and a number field
 * {@code price}; {@link #setUp} makes it.
 */
public final class MalformedInputs {

  /** The collection the search cases run against. */
  public static final String COLLECTION = "malformed-inputs";

  /** One call: the method, what is wrong with it, the request, and the status it must end with. */
  public record Case(MethodDescriptor<?, ?> method, String what, byte[] request, Status.Code expected) {}

  private MalformedInputs() {}

  /** Creates {@link #COLLECTION} with one item, through the given stubs. */
  public static void setUp(SearchServiceGrpc.SearchServiceBlockingStub search, int dim) {
    search.createCollection(CreateCollectionRequest.newBuilder().setName(COLLECTION).build());
    Embedding.Builder v = Embedding.newBuilder();
    for (int i = 0; i < dim; i++) {
      v.addValues(i == 0 ? 1 : 0);
    }
    search.upsert(UpsertRequest.newBuilder().setCollection(COLLECTION).addItems(UpsertItem.newBuilder().setId("one")
        .setVector(v).putMetadata("color", MetadataValue.newBuilder().setText("red").build())
        .putMetadata("price", MetadataValue.newBuilder().setNumber(3).build())).build());
  }

  static Case c(MethodDescriptor<?, ?> m, String what, MessageLite req, Status.Code expected) {
    return new Case(m, what, req.toByteArray(), expected);
  }

  static EmbedRequest embed(EmbedInput.Builder... in) {
    EmbedRequest.Builder b = EmbedRequest.newBuilder();
    Arrays.stream(in).forEach(b::addInputs);
    return b.build();
  }

  static EmbedInput.Builder text(String t) {
    return EmbedInput.newBuilder().setText(t);
  }

  static EmbedInput.Builder image(byte[] b) {
    return EmbedInput.newBuilder().setImage(ByteString.copyFrom(b));
  }

  public static List<Case> cases(int dim, int maxTextChars, int maxInputs) {
    Status.Code bad = Status.Code.INVALID_ARGUMENT;
    Status.Code missing = Status.Code.NOT_FOUND;
    byte[] png = Images.png(32, 24, Color.RED);
    byte[] cut = Arrays.copyOf(png, png.length / 2);
    byte[] tiff = Images.encode(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB), "tiff");
    List<Case> out = new ArrayList<>();
    for (MethodDescriptor<?, ?> m : List.of(EmbeddingServiceGrpc.getEmbedMethod(), EmbeddingServiceGrpc.getEmbedStreamMethod())) {
      out.add(c(m, "no inputs", EmbedRequest.getDefaultInstance(), bad));
      out.add(c(m, "an input with neither text nor image", embed(EmbedInput.newBuilder()), bad));
      out.add(c(m, "empty text", embed(text("")), bad));
      out.add(c(m, "whitespace-only text", embed(text(" \t\n\u3000")), bad));
      out.add(c(m, "text one character over the limit", embed(text("x".repeat(maxTextChars + 1))), bad));
      out.add(c(m, "empty image", embed(image(new byte[0])), bad));
      out.add(c(m, "image bytes that are no image", embed(image(new byte[] {1, 2, 3, 4})), bad));
      out.add(c(m, "PNG cut off halfway", embed(image(cut)), bad));
      out.add(c(m, "TIFF image", embed(image(tiff)), bad));
      out.add(c(m, "PNG header claiming 60000x60000", embed(image(Images.pngWithHeader(60000, 60000))), bad));
      out.add(c(m, "unknown model", EmbedRequest.newBuilder().addInputs(text("a"))
          .setModel(ModelRef.newBuilder().setName("no-such-model").setVersion("1")).build(), bad));
    }
    EmbedRequest.Builder tooMany = EmbedRequest.newBuilder();
    for (int i = 0; i <= maxInputs; i++) {
      tooMany.addInputs(text("t"));
    }
    out.add(c(EmbeddingServiceGrpc.getEmbedMethod(), "one input over the per-request limit", tooMany.build(), bad));
    out.add(c(EmbeddingServiceGrpc.getEmbedMethod(), "text at the character limit (boundary, accepted)",
        embed(text("x".repeat(maxTextChars))), Status.Code.OK));

    out.add(c(SearchServiceGrpc.getCreateCollectionMethod(), "bad collection name",
        CreateCollectionRequest.newBuilder().setName("bad name!").build(), bad));
    out.add(c(SearchServiceGrpc.getCreateCollectionMethod(), "unknown model", CreateCollectionRequest.newBuilder()
        .setName("x").setModel(ModelRef.newBuilder().setName("no-such-model").setVersion("1")).build(), bad));
    Embedding.Builder unit = Embedding.newBuilder();
    Embedding.Builder nan = Embedding.newBuilder();
    for (int i = 0; i < dim; i++) {
      unit.addValues(i == 0 ? 1 : 0);
      nan.addValues(i == 0 ? Float.NaN : 0);
    }
    for (MethodDescriptor<?, ?> m : List.of(SearchServiceGrpc.getUpsertMethod(), SearchServiceGrpc.getUpsertStreamMethod())) {
      out.add(c(m, "no items", UpsertRequest.newBuilder().setCollection(COLLECTION).build(), bad));
      out.add(c(m, "an item with neither image nor vector", upsert(UpsertItem.newBuilder().setId("a")), bad));
      out.add(c(m, "a text value over the index's term limit", upsert(UpsertItem.newBuilder().setId("a").setVector(unit)
          .putMetadata("desc", MetadataValue.newBuilder().setText("x".repeat(40_000)).build())), bad));
      out.add(c(m, "an id with a control character", upsert(UpsertItem.newBuilder().setId("a\u0001b").setVector(unit)), bad));
      out.add(c(m, "an empty id", upsert(UpsertItem.newBuilder().setId("").setVector(unit)), bad));
      out.add(c(m, "a NaN number", upsert(UpsertItem.newBuilder().setId("a").setVector(unit)
          .putMetadata("price", MetadataValue.newBuilder().setNumber(Double.NaN).build())), bad));
      out.add(c(m, "a NaN in the vector", upsert(UpsertItem.newBuilder().setId("a").setVector(nan)), bad));
      out.add(c(m, "a vector of the wrong dimension", upsert(UpsertItem.newBuilder().setId("a")
          .setVector(Embedding.newBuilder().addValues(1))), bad));
      out.add(c(m, "a metadata value with no kind", upsert(UpsertItem.newBuilder().setId("a").setVector(unit)
          .putMetadata("x", MetadataValue.getDefaultInstance())), bad));
      out.add(c(m, "an unknown collection", UpsertRequest.newBuilder().setCollection("no-such-collection")
          .addItems(UpsertItem.newBuilder().setId("a").setVector(unit)).build(), missing));
    }
    out.add(c(SearchServiceGrpc.getSearchMethod(), "no query", SearchRequest.newBuilder().setCollection(COLLECTION).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "empty text query", search().setText("").build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "negative k", search().setText("a").setK(-1).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "k over 10000", search().setText("a").setK(10_001).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a filter without a field", search().setText("a")
        .addFilters(FilterClause.newBuilder().setEquals("x")).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a filter without a condition", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("color")).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a range on a text field", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("color").setRange(NumberRange.newBuilder().setMin(0))).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "equality on a number field", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("price").setEquals("3")).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a filter on an unknown field", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("colour").setEquals("red")).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "an empty 'in' set", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("color").setIn(StringSet.getDefaultInstance())).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a NaN query vector", search().setVector(nan).build(), bad));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "an unknown collection", SearchRequest.newBuilder()
        .setCollection("no-such-collection").setText("a").build(), missing));
    out.add(c(SearchServiceGrpc.getSearchMethod(), "a fitting filter (boundary, accepted)", search().setText("a")
        .addFilters(FilterClause.newBuilder().setField("color").setEquals("red")).build(), Status.Code.OK));
    out.add(c(SearchServiceGrpc.getGetMethod(), "an unknown id", GetRequest.newBuilder().setCollection(COLLECTION)
        .setId("no-such-id").build(), missing));
    out.add(c(SearchServiceGrpc.getDeleteMethod(), "an unknown collection", DeleteRequest.newBuilder()
        .setCollection("no-such-collection").addIds("a").build(), missing));
    out.add(c(SearchServiceGrpc.getStatsMethod(), "an unknown collection", StatsRequest.newBuilder()
        .setCollection("no-such-collection").build(), missing));
    out.add(c(SearchServiceGrpc.getDeleteCollectionMethod(), "an unknown collection", DeleteCollectionRequest.newBuilder()
        .setName("no-such-collection").build(), missing));
    out.add(c(SearchServiceGrpc.getSetAliasMethod(), "a bad alias name", SetAliasRequest.newBuilder().setAlias("bad alias!")
        .setCollection(COLLECTION).build(), bad));
    out.add(c(SearchServiceGrpc.getReindexMethod(), "no source or target", ReindexRequest.getDefaultInstance(), bad));
    out.add(c(SearchServiceGrpc.getReindexMethod(), "an unknown source", ReindexRequest.newBuilder()
        .setSource("no-such-collection").setTarget("t").build(), missing));
    out.add(c(SearchServiceGrpc.getReindexMethod(), "the target is the source", ReindexRequest.newBuilder()
        .setSource(COLLECTION).setTarget(COLLECTION).build(), bad));

    out.add(c(DatasetServiceGrpc.getImportDatasetMethod(), "a bad dataset name", ImportDatasetRequest.newBuilder()
        .setName("bad name!").setKind(DatasetSourceKind.FOLDER).setPath("/usr/share/datasets").build(), bad));
    out.add(c(DatasetServiceGrpc.getImportDatasetMethod(), "a path outside the import roots", ImportDatasetRequest.newBuilder()
        .setName("etc").setKind(DatasetSourceKind.FOLDER).setPath("/etc").build(), bad));
    out.add(c(DatasetServiceGrpc.getImportDatasetMethod(), "'..' out of an import root", ImportDatasetRequest.newBuilder()
        .setName("up").setKind(DatasetSourceKind.FOLDER).setPath("/usr/share/datasets/../../../proc").build(), bad));
    out.add(c(DatasetServiceGrpc.getImportDatasetMethod(), "a relative path", ImportDatasetRequest.newBuilder()
        .setName("rel").setKind(DatasetSourceKind.FOLDER).setPath("../..").build(), bad));
    out.add(c(DatasetServiceGrpc.getImportDatasetMethod(), "no kind", ImportDatasetRequest.newBuilder()
        .setName("nokind").setPath("/usr/share/datasets").build(), bad));
    out.add(c(DatasetServiceGrpc.getGetDatasetMethod(), "an unknown dataset", GetDatasetRequest.newBuilder()
        .setName("no-such-dataset").build(), missing));
    out.add(c(EvaluationServiceGrpc.getEvaluateMethod(), "an unknown dataset", EvaluateRequest.newBuilder()
        .setDataset("no-such-dataset").build(), missing));
    out.add(c(EvaluationServiceGrpc.getGetReportMethod(), "an unknown report", GetReportRequest.newBuilder()
        .setId("no-such-report").build(), missing));
    out.add(c(EvaluationServiceGrpc.getCompareReportsMethod(), "unknown reports", CompareReportsRequest.newBuilder()
        .setBeforeId("a").setAfterId("b").build(), missing));
    out.add(c(FineTuneServiceGrpc.getStartRunMethod(), "patience below -1", StartRunRequest.newBuilder()
        .setConfig(RunConfig.newBuilder().setDataset("no-such-dataset").setPatience(-2)).build(), bad));
    out.add(c(FineTuneServiceGrpc.getStartRunMethod(), "negative epochs", StartRunRequest.newBuilder()
        .setConfig(RunConfig.newBuilder().setDataset("no-such-dataset").setEpochs(-1)).build(), bad));
    out.add(c(FineTuneServiceGrpc.getGetRunMethod(), "an unknown run", GetRunRequest.newBuilder().setId("no-such-run").build(),
        missing));
    out.add(c(FineTuneServiceGrpc.getCancelRunMethod(), "an unknown run", dev.kagami.api.v1.CancelRunRequest.newBuilder()
        .setId("no-such-run").build(), missing));
    out.add(c(FineTuneServiceGrpc.getWatchRunMethod(), "an unknown run", dev.kagami.api.v1.WatchRunRequest.newBuilder()
        .setId("no-such-run").build(), missing));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getGetJobMethod(), "an unknown job", dev.kagami.api.v1.GetJobRequest.newBuilder()
        .setId("no-such-job").build(), missing));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getGetJobMethod(), "no id", dev.kagami.api.v1.GetJobRequest.getDefaultInstance(),
        bad));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getWatchJobMethod(), "an unknown job", dev.kagami.api.v1.WatchJobRequest
        .newBuilder().setId("no-such-job").build(), missing));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getCancelJobMethod(), "an unknown job", dev.kagami.api.v1.CancelJobRequest
        .newBuilder().setId("no-such-job").build(), missing));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getListJobsMethod(), "a negative limit", dev.kagami.api.v1.ListJobsRequest
        .newBuilder().setLimit(-1).build(), bad));
    out.add(c(dev.kagami.api.v1.JobServiceGrpc.getListJobsMethod(), "an unknown kind", dev.kagami.api.v1.ListJobsRequest
        .newBuilder().setKindValue(99).build(), bad));
    return out;
  }

  static UpsertRequest upsert(UpsertItem.Builder item) {
    return UpsertRequest.newBuilder().setCollection(COLLECTION).addItems(item).build();
  }

  static SearchRequest.Builder search() {
    return SearchRequest.newBuilder().setCollection(COLLECTION);
  }
}
