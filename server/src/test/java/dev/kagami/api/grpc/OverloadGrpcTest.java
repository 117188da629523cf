package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.testing.Images;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A server with small queues under more load than it admits: overload is RESOURCE_EXHAUSTED, fast. */
@QuarkusTest
@TestProfile(OverloadGrpcTest.SmallQueues.class)
class OverloadGrpcTest {

  public static class SmallQueues implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "kagami.serving.queue-capacity", "4",
          "kagami.serving.preprocess-queue-capacity", "2",
          "kagami.serving.preprocess-threads", "1",
          "kagami.serving.max-batch-size", "2");
    }
  }

  @Test
  void a_request_larger_than_the_queue_is_refused() {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().build();
    try {
      EmbedRequest.Builder b = EmbedRequest.newBuilder();
      for (int i = 0; i < 5; i++) {
        b.addInputs(EmbedInput.newBuilder().setText("t" + i));
      }
      var stub = EmbeddingServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      try {
        stub.embed(b.build());
        throw new AssertionError("expected RESOURCE_EXHAUSTED");
      } catch (StatusRuntimeException e) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("exceed the queue capacity of 4");
      }
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void under_a_burst_every_call_either_succeeds_or_is_refused_quickly() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().build();
    ExecutorService pool = Executors.newFixedThreadPool(32);
    byte[] img = Images.png(1200, 900, Color.GREEN);
    Map<Status.Code, AtomicLong> codes = new ConcurrentHashMap<>();
    List<Long> rejectMicros = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      var stub = EmbeddingServiceGrpc.newBlockingStub(ch);
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        fs.add(pool.submit(() -> {
          long t0 = System.nanoTime();
          try {
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(EmbedRequest.newBuilder()
                .addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(img))).build());
            codes.computeIfAbsent(Status.Code.OK, k -> new AtomicLong()).incrementAndGet();
          } catch (StatusRuntimeException e) {
            codes.computeIfAbsent(e.getStatus().getCode(), k -> new AtomicLong()).incrementAndGet();
            if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
              rejectMicros.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - t0));
            }
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      ch.shutdownNow();
    }
    System.out.println("burst of 200 against queues of 2+4: " + codes + ", rejection latency (us, client-side) "
        + rejectMicros.stream().sorted().toList().subList(0, Math.min(5, rejectMicros.size())) + "...");
    assertThat(codes.keySet()).containsOnly(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
    assertThat(codes.get(Status.Code.OK).get()).isPositive();
    assertThat(codes.get(Status.Code.RESOURCE_EXHAUSTED).get()).isPositive();
  }

  /**
   * Keeps the image lane busy with large images from a few clients, and meanwhile: a text call is served
   * (texts have their own lane), and an image call whose deadline is shorter than the wait ahead of it is
   * refused at once, not queued to expire.
   */
  @Test
  void texts_pass_busy_images_and_a_deadline_the_queue_cannot_meet_is_refused_at_once() throws Exception {
    ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().maxInboundMessageSize(64 << 20)
        .build();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    byte[] big = Images.png(2400, 1800, Color.ORANGE);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      var stub = EmbeddingServiceGrpc.newBlockingStub(ch);
      EmbedRequest bigCall = EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setImage(ByteString.copyFrom(big))).build();
      for (int i = 0; i < 8; i++) {
        stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(bigCall); // the lane learns how long an image takes
      }
      for (int c = 0; c < 3; c++) {
        pool.submit(() -> {
          while (!stop.get()) {
            try {
              stub.withDeadlineAfter(60, TimeUnit.SECONDS).embed(bigCall);
            } catch (StatusRuntimeException e) {
              // refused while the lane is full: try again
            }
          }
        });
      }
      Thread.sleep(300);
      var text = stub.withDeadlineAfter(10, TimeUnit.SECONDS).embed(EmbedRequest.newBuilder()
          .addInputs(EmbedInput.newBuilder().setText("a text while images decode")).build());
      assertThat(text.getEmbeddingsCount()).isEqualTo(1);
      // 50 ms: far below the queue's expected wait (three 2400x1800 images ahead), and above the scheduling delay a
      // busy machine adds before the call is admitted (at 20 ms, a CI run beside another job saw only DEADLINE_EXCEEDED)
      List<String> refusals = new ArrayList<>();
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 20 && refusals.isEmpty(); i++) {
        try {
          stub.withDeadlineAfter(50, TimeUnit.MILLISECONDS).embed(bigCall);
          seen.add("OK");
        } catch (StatusRuntimeException e) {
          seen.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
          if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED && e.getStatus().getDescription().contains("deadline")) {
            refusals.add(e.getStatus().getDescription());
          }
        }
      }
      assertThat(refusals).as("an image call with a 50 ms deadline behind busy images; answers: " + seen).isNotEmpty();
      assertThat(refusals.get(0)).contains("expected to take about").contains("longer than its deadline allows");
    } finally {
      stop.set(true);
      pool.shutdown();
      pool.awaitTermination(60, TimeUnit.SECONDS);
      ch.shutdownNow();
    }
  }
}
