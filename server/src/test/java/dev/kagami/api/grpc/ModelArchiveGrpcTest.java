package dev.kagami.api.grpc;

import static dev.kagami.api.grpc.ModelLifecycleGrpcTest.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.DeleteModelRequest;
import dev.kagami.api.v1.GetModelRequest;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.api.v1.ModelServiceGrpc;
import dev.kagami.api.v1.ModelVersion;
import dev.kagami.testing.FineTuneProfile;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.GrpcTesting;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Model versions as archives: export (REST and gRPC), import by REST upload and by gRPC UploadModel. */
@QuarkusTest
@TestProfile(FineTuneProfile.class)
class ModelArchiveGrpcTest {

  static ManagedChannel channel;
  static ModelServiceGrpc.ModelServiceBlockingStub models;
  static final ModelRef ONE = ModelRef.newBuilder().setName("tiny-clip").setVersion("1").build();

  @BeforeAll
  static void setUp() {
    channel = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    models = ModelServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
  }

  @AfterAll
  static void tearDown() {
    channel.shutdownNow();
  }

  @Test
  void a_version_exported_as_an_archive_is_imported_by_upload() throws Exception {
    var exported = dev.kagami.testing.Http.getBytes("/api/v1/models/tiny-clip/1/export");
    assertThat(exported.statusCode()).isEqualTo(200);
    // the archive holds the package's files, unchanged; as version 10 (its manifest edited) it is a new version
    java.io.ByteArrayOutputStream edited = new java.io.ByteArrayOutputStream();
    java.util.Set<String> names = new java.util.TreeSet<>();
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(exported.body()));
        var out = new java.util.zip.ZipOutputStream(edited)) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        byte[] data = in.readAllBytes();
        names.add(e.getName());
        if (e.getName().endsWith("visual.onnx")) {
          assertThat(data).isEqualTo(Files.readAllBytes(Fixtures.TINY_CLIP.resolve("visual.onnx")));
        }
        if (e.getName().endsWith("kagami-model.json")) {
          data = new String(data, java.nio.charset.StandardCharsets.UTF_8).replace("\"version\": \"1\"", "\"version\": \"10\"")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName().replace("tiny-clip-1/", "tiny-clip-10/")));
        out.write(data);
        out.closeEntry();
      }
    }
    assertThat(names).contains("tiny-clip-1/kagami-model.json", "tiny-clip-1/visual.onnx", "tiny-clip-1/textual.pt");
    // over gRPC the same archive arrives in chunks
    java.io.ByteArrayOutputStream viaGrpc = new java.io.ByteArrayOutputStream();
    models.exportModel(dev.kagami.api.v1.ExportModelRequest.newBuilder().setModel(ONE).build())
        .forEachRemaining(c -> viaGrpc.writeBytes(c.getData().toByteArray()));
    java.util.Set<String> grpcNames = new java.util.TreeSet<>();
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(viaGrpc.toByteArray()))) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        grpcNames.add(e.getName());
        if (e.getName().endsWith("textual.onnx")) {
          assertThat(in.readAllBytes()).isEqualTo(Files.readAllBytes(Fixtures.TINY_CLIP.resolve("textual.onnx")));
        }
      }
    }
    assertThat(grpcNames).isEqualTo(names);
    String boundary = "b" + System.nanoTime();
    var up = dev.kagami.testing.Http.post("/api/v1/models/upload", "multipart/form-data; boundary=" + boundary,
        dev.kagami.testing.Http.multipart(boundary, Map.of("actor", "bob"), "tiny-clip-10.zip", edited.toByteArray()));
    assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
    assertThat(up.body()).contains("\"origin\":\"IMPORTED\"", "\"createdBy\":\"bob\"");
    ModelVersion ten = models.getModel(GetModelRequest.newBuilder().setModel(ModelRef.newBuilder().setName("tiny-clip")
        .setVersion("10")).build());
    assertThat(ten.getParity()).isGreaterThan(0.9999);
    // not a zip, or a zip without a package: 400, nothing registered
    var garbage = dev.kagami.testing.Http.post("/api/v1/models/upload", "multipart/form-data; boundary=" + boundary,
        dev.kagami.testing.Http.multipart(boundary, Map.of(), "x.zip", new byte[] {1, 2, 3, 4}));
    assertThat(garbage.statusCode()).as(garbage.body()).isEqualTo(400);
    models.deleteModel(DeleteModelRequest.newBuilder().setModel(ten.getModel()).build());
  }

  @Test
  void an_archive_streamed_in_chunks_over_grpc_is_imported_and_a_bad_or_abandoned_one_leaves_nothing() throws Exception {
    java.io.ByteArrayOutputStream exported = new java.io.ByteArrayOutputStream();
    models.exportModel(dev.kagami.api.v1.ExportModelRequest.newBuilder().setModel(ONE).build())
        .forEachRemaining(c -> exported.writeBytes(c.getData().toByteArray()));
    java.io.ByteArrayOutputStream edited = new java.io.ByteArrayOutputStream();
    try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(exported.toByteArray()));
        var out = new java.util.zip.ZipOutputStream(edited)) {
      for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
        byte[] data = in.readAllBytes();
        if (e.getName().endsWith("kagami-model.json")) {
          data = new String(data, java.nio.charset.StandardCharsets.UTF_8).replace("\"version\": \"1\"", "\"version\": \"11\"")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName().replace("tiny-clip-1/", "tiny-clip-11/")));
        out.write(data);
        out.closeEntry();
      }
    }
    byte[] zip = edited.toByteArray();
    ModelVersion eleven = upload(zip, 64 * 1024, "carol");
    assertThat(zip.length).isGreaterThan(10 * 64 * 1024); // many chunks
    assertThat(eleven.getModel().getVersion()).isEqualTo("11");
    assertThat(eleven.getOrigin()).isEqualTo(dev.kagami.api.v1.ModelOrigin.MODEL_ORIGIN_IMPORTED);
    assertThat(eleven.getCreatedBy()).isEqualTo("carol");
    assertThat(eleven.getParity()).isGreaterThan(0.9999);
    assertThat(models.getModel(GetModelRequest.newBuilder().setModel(eleven.getModel()).build()).getChecksum())
        .isEqualTo(eleven.getChecksum());
    // not a zip: INVALID_ARGUMENT, nothing registered
    assertThat(message(() -> upload(new byte[] {1, 2, 3, 4}, 2, ""))).startsWith("INVALID_ARGUMENT");
    // the client gives up halfway: nothing imported, no part file left
    var abandoned = ModelServiceGrpc.newStub(channel).uploadModel(new io.grpc.stub.StreamObserver<ModelVersion>() {
      public void onNext(ModelVersion v) {}

      public void onError(Throwable t) {}

      public void onCompleted() {}
    });
    abandoned.onNext(dev.kagami.api.v1.ModelUploadChunk.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(zip, 0,
        1000)).build());
    abandoned.onError(io.grpc.Status.CANCELLED.asRuntimeException());
    Path parts = Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("kagami.dataset.uploads",
        String.class)).resolve(".models");
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (countParts(parts) > 0 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertThat(countParts(parts)).as("part files left in " + parts).isZero();
    models.deleteModel(DeleteModelRequest.newBuilder().setModel(eleven.getModel()).build());
  }

  static long countParts(Path dir) throws java.io.IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var l = Files.list(dir)) {
      return l.filter(p -> p.getFileName().toString().endsWith(".part")).count();
    }
  }

  /** Streams {@code zip} to UploadModel in chunks of {@code chunk} bytes and waits for the answer. */
  static ModelVersion upload(byte[] zip, int chunk, String actor) {
    java.util.concurrent.CompletableFuture<ModelVersion> answer = new java.util.concurrent.CompletableFuture<>();
    var req = ModelServiceGrpc.newStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS)
        .uploadModel(new io.grpc.stub.StreamObserver<ModelVersion>() {
          public void onNext(ModelVersion v) {
            answer.complete(v);
          }

          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          public void onCompleted() {}
        });
    for (int off = 0; off < zip.length; off += chunk) {
      req.onNext(dev.kagami.api.v1.ModelUploadChunk.newBuilder().setActor(off == 0 ? actor : "")
          .setData(com.google.protobuf.ByteString.copyFrom(zip, off, Math.min(chunk, zip.length - off))).build());
    }
    req.onCompleted();
    try {
      return answer.get(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
