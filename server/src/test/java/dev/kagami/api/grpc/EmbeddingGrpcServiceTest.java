package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fixtures.GoldenImage;
import dev.kagami.testing.Fixtures.GoldenText;
import dev.kagami.testing.GrpcTesting;
import dev.kagami.testing.Images;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real gRPC calls over a real channel to the Quarkus server running the tiny CLIP package. */
@QuarkusTest
class EmbeddingGrpcServiceTest {

  static ManagedChannel channel;
  static EmbeddingServiceGrpc.EmbeddingServiceBlockingStub stub;

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().maxInboundMessageSize(64 << 20).build();
    stub = EmbeddingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static EmbedInput text(String t) {
    return EmbedInput.newBuilder().setText(t).build();
  }

  static EmbedInput image(byte[] b) {
    return EmbedInput.newBuilder().setImage(ByteString.copyFrom(b)).build();
  }


  @Test
  void embeds_mixed_texts_and_images_in_input_order_matching_the_reference() {
    List<GoldenImage> images = Fixtures.goldenImages();
    List<GoldenText> texts = Fixtures.goldenTexts();
    EmbedRequest.Builder req = EmbedRequest.newBuilder().setRequestId("r-1");
    req.addInputs(text(texts.get(0).text())).addInputs(image(images.get(0).bytes()))
        .addInputs(text(texts.get(1).text())).addInputs(image(images.get(2).bytes()));
    EmbedResponse res = stub.embed(req.build());

    assertThat(res.getRequestId()).isEqualTo("r-1");
    assertThat(res.getModel().getName()).isEqualTo("tiny-clip");
    assertThat(res.getModel().getVersion()).isEqualTo("1");
    assertThat(res.getDimension()).isEqualTo(32);
    assertThat(res.getEmbeddingsCount()).isEqualTo(4);
    float[][] expected = {texts.get(0).embedding(), images.get(0).embedding(), texts.get(1).embedding(),
        images.get(2).embedding()};
    for (int i = 0; i < 4; i++) {
      float[] v = toArray(res.getEmbeddings(i).getValuesList());
      assertThat(v).hasSize(32);
      assertThat(Fixtures.cosine(v, expected[i])).as("input %d", i).isGreaterThanOrEqualTo(0.999);
    }
  }

  @Test
  void an_explicit_model_reference_is_honoured_and_an_unknown_one_refused() {
    EmbedResponse ok = stub.embed(EmbedRequest.newBuilder().addInputs(text("a cat"))
        .setModel(ModelRef.newBuilder().setName("tiny-clip").setVersion("1")).build());
    assertThat(ok.getEmbeddingsCount()).isEqualTo(1);
    assertThatThrownBy(() -> stub.embed(EmbedRequest.newBuilder().addInputs(text("a cat"))
        .setModel(ModelRef.newBuilder().setName("no-such-model")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains("'no-such-model' is not loaded").contains("tiny-clip/1");
        });
  }

  @Test
  void bad_inputs_get_invalid_argument_with_a_clear_message() {
    assertInvalid(EmbedRequest.newBuilder().build(), "no inputs");
    assertInvalid(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder()).build(), "input 0: has neither text nor image");
    assertInvalid(EmbedRequest.newBuilder().addInputs(text("ok")).addInputs(image(new byte[0])).build(), "input 1: image is empty");
    assertInvalid(EmbedRequest.newBuilder().addInputs(image("not an image".getBytes())).build(),
        "input 0: image format not recognised");
    byte[] png = Images.png(64, 64, Color.RED);
    assertInvalid(EmbedRequest.newBuilder().addInputs(image(java.util.Arrays.copyOf(png, png.length / 2))).build(),
        "input 0: image could not be decoded");
    assertInvalid(EmbedRequest.newBuilder().addInputs(image(Images.pngWithHeader(60000, 60000))).build(),
        "input 0: image is 60000x60000 = 3600000000 pixels, over the limit");
    assertInvalid(EmbedRequest.newBuilder().addInputs(image(Images.pngWithHeader(1, 100000))).build(),
        "input 0: image could not be decoded");
    assertInvalid(EmbedRequest.newBuilder().addInputs(text("x".repeat(4097))).build(),
        "input 0: text is 4097 characters, over the limit of 4096");
    EmbedRequest.Builder many = EmbedRequest.newBuilder();
    for (int i = 0; i < 257; i++) {
      many.addInputs(text("t" + i));
    }
    assertInvalid(many.build(), "257 inputs, over the limit of 256");
  }

  private static void assertInvalid(EmbedRequest req, String message) {
    assertThatThrownBy(() -> stub.embed(req)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(e.getStatus().getDescription()).contains(message).doesNotContain("Exception").doesNotContain("at dev.");
    });
  }

  @Test
  void messages_at_the_size_limit_are_read_and_one_byte_more_is_resource_exhausted() {
    int limit = 16 * 1024 * 1024;
    // The image bytes are over the image limit, so a message that is read is refused for its content
    // (INVALID_ARGUMENT); one that is too large is refused by the transport (RESOURCE_EXHAUSTED).
    assertThat(GrpcTesting.code(() -> stub.embed(requestOfSize(limit)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> stub.embed(requestOfSize(limit - 1)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(GrpcTesting.code(() -> stub.embed(requestOfSize(limit + 1)))).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    // the server still answers afterwards
    assertThat(stub.embed(EmbedRequest.newBuilder().addInputs(text("still here")).build()).getEmbeddingsCount()).isOne();
  }

  static EmbedRequest requestOfSize(int size) {
    int payload = size - 10;
    for (int i = 0; i < 20; i++) {
      EmbedRequest r = EmbedRequest.newBuilder().addInputs(image(new byte[payload])).build();
      int diff = size - r.getSerializedSize();
      if (diff == 0) {
        return r;
      }
      payload += diff;
    }
    throw new IllegalStateException("cannot build a message of exactly " + size + " bytes");
  }

  @Test
  void health_reports_serving_once_the_model_is_loaded() {
    var health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertThat(health.check(HealthCheckRequest.newBuilder().build()).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("kagami.v1.EmbeddingService").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void reflection_lists_the_embedding_service() throws Exception {
    var reflection = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel);
    CountDownLatch done = new CountDownLatch(1);
    List<String> services = new ArrayList<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> req = reflection.serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
            r.getListServicesResponse().getServiceList().forEach(s -> services.add(s.getName()));
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    req.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
    req.onCompleted();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(services).contains("kagami.v1.EmbeddingService", "grpc.health.v1.Health");
  }

  @Test
  void embed_stream_answers_every_request_in_order() throws Exception {
    var async = EmbeddingServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    List<EmbedResponse> got = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    StreamObserver<EmbedRequest> out = async.embedStream(new StreamObserver<>() {
      @Override
      public void onNext(EmbedResponse r) {
        synchronized (got) {
          got.add(r);
        }
      }

      @Override
      public void onError(Throwable t) {
        error.set(t);
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
    byte[] png = Images.png(300, 200, Color.BLUE);
    for (int i = 0; i < 40; i++) {
      EmbedRequest.Builder b = EmbedRequest.newBuilder().setRequestId("s-" + i).addInputs(text("item " + i));
      if (i % 3 == 0) {
        b.addInputs(image(png));
      }
      out.onNext(b.build());
    }
    out.onCompleted();
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(error.get()).isNull();
    assertThat(got).hasSize(40);
    for (int i = 0; i < 40; i++) {
      assertThat(got.get(i).getRequestId()).isEqualTo("s-" + i);
      assertThat(got.get(i).getEmbeddingsCount()).isEqualTo(i % 3 == 0 ? 2 : 1);
    }
  }

  @Test
  void embed_stream_ends_with_invalid_argument_naming_the_bad_request() throws Exception {
    var async = EmbeddingServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    List<String> ids = new ArrayList<>();
    StreamObserver<EmbedRequest> out = async.embedStream(new StreamObserver<>() {
      @Override
      public void onNext(EmbedResponse r) {
        ids.add(r.getRequestId());
      }

      @Override
      public void onError(Throwable t) {
        error.set(t);
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
    out.onNext(EmbedRequest.newBuilder().setRequestId("good").addInputs(text("fine")).build());
    out.onNext(EmbedRequest.newBuilder().setRequestId("bad").addInputs(image("junk".getBytes())).build());
    out.onCompleted();
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ids).containsExactly("good");
    assertThat(Status.fromThrowable(error.get()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(Status.fromThrowable(error.get()).getDescription()).contains("request_id bad");
  }

  @Test
  void an_already_expired_deadline_is_deadline_exceeded() {
    var expired = EmbeddingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.NANOSECONDS);
    assertThat(GrpcTesting.code(() -> expired.embed(EmbedRequest.newBuilder().addInputs(text("late")).build())))
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  static float[] toArray(List<Float> values) {
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = values.get(i);
    }
    return f;
  }

  /**
   * The queue budget bounds the wait ahead of a call, not the call's own work: on an idle server a call with
   * many images (its own work several times the 250 ms budget) is admitted, and answered.
   */
  @Test
  void a_large_call_on_an_idle_server_is_admitted_whatever_its_own_work_takes() {
    byte[] jpeg = Fixtures.read(Fixtures.GOLDEN.resolve("images/landscape_640x480.jpg"));
    for (int i = 0; i < 10; i++) {
      stub.embed(EmbedRequest.newBuilder().addInputs(image(jpeg)).build()); // the lanes learn their speed
    }
    EmbedRequest.Builder many = EmbedRequest.newBuilder();
    for (int i = 0; i < 100; i++) { // 100 x 137 kB: under the 16 MiB message limit
      many.addInputs(image(jpeg));
    }
    long t0 = System.nanoTime();
    EmbedResponse r = stub.embed(many.build());
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(r.getEmbeddingsCount()).isEqualTo(100);
    System.out.println("100 images in one call on an idle server: answered in " + ms + " ms (queue budget 250 ms)");
  }
}
