package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gate on a real gRPC server (loopback, a free port): what clients are told at each step of a stop. */
class ShutdownGateTest {

  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(1);
  private ShutdownGate gate;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    gate = new ShutdownGate(Duration.ofSeconds(30));
    EmbeddingServiceGrpc.EmbeddingServiceImplBase slow = new EmbeddingServiceGrpc.EmbeddingServiceImplBase() {
      @Override
      public void embed(EmbedRequest request, StreamObserver<EmbedResponse> responses) {
        entered.countDown();
        CompletableFuture.runAsync(() -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          responses.onNext(EmbedResponse.newBuilder().setRequestId(request.getRequestId()).build());
          responses.onCompleted();
        });
      }
    };
    HealthGrpc.HealthImplBase health = new HealthGrpc.HealthImplBase() {
      @Override
      public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> responses) {
        responses.onNext(HealthCheckResponse.newBuilder().setStatus(ServingStatus.NOT_SERVING).build());
        responses.onCompleted();
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(slow, gate))
        .addService(ServerInterceptors.intercept(health, gate)).build().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    release.countDown();
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void a_stop_waits_for_running_calls_refuses_new_ones_with_unavailable_and_lets_health_answer_until_closed() throws Exception {
    var async = EmbeddingServiceGrpc.newFutureStub(channel);
    var running = async.embed(EmbedRequest.newBuilder().setRequestId("running").build());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(gate.running()).isEqualTo(1);

    CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> gate.drain(Duration.ofSeconds(30)));
    while (gate.state() != ShutdownGate.State.DRAINING) {
      Thread.onSpinWait();
    }
    var blocking = EmbeddingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> blocking.embed(EmbedRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).contains("shutting down");
        });
    var probe = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    assertThat(probe.check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(drained).isNotDone(); // the running call holds the stop

    release.countDown();
    assertThat(running.get(10, TimeUnit.SECONDS).getRequestId()).isEqualTo("running"); // it finished, answered
    assertThat(drained.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(gate.state()).isEqualTo(ShutdownGate.State.CLOSED);
    assertThatThrownBy(() -> probe.check(HealthCheckRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void a_call_that_outlives_the_drain_timeout_is_counted_and_the_gate_closes() throws Exception {
    EmbeddingServiceGrpc.newFutureStub(channel).embed(EmbedRequest.getDefaultInstance());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    long t0 = System.nanoTime();
    assertThat(gate.drain(Duration.ofMillis(200))).isEqualTo(1);
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    assertThat(gate.state()).isEqualTo(ShutdownGate.State.CLOSED);
  }

  @Test
  void a_cancelled_call_stops_being_counted() throws Exception {
    var call = EmbeddingServiceGrpc.newFutureStub(channel).embed(EmbedRequest.getDefaultInstance());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    call.cancel(true);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gate.running() > 0 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(gate.running()).isZero();
    assertThat(gate.drain(Duration.ofSeconds(10))).isZero();
  }
}
