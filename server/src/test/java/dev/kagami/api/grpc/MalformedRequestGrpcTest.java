package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.testing.RawCalls;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bodies that do not decode, sent to every method of every kagami.v1 service over a real channel: each
 * answers INVALID_ARGUMENT (not UNKNOWN), and the server goes on serving.
 */
@QuarkusTest
class MalformedRequestGrpcTest {

  static ManagedChannel channel;

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", dev.kagami.testing.GrpcTesting.port()).usePlaintext().build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static Status call(MethodDescriptor<?, ?> method, byte[] body) throws Exception {
    return RawCalls.call(channel, method, body);
  }

  @Test
  void a_body_that_does_not_decode_answers_invalid_argument_on_every_method() throws Exception {
    Map<String, Integer> seen = new TreeMap<>();
    int calls = 0;
    for (MethodDescriptor<?, ?> m : RawCalls.kagamiMethods()) {
      for (byte[] body : RawCalls.GARBAGE) {
        Status s = call(m, body);
        calls++;
        seen.merge(s.getCode().name(), 1, Integer::sum);
        assertThat(s.getCode()).as("%s with %d garbage bytes: %s", m.getFullMethodName(), body.length, s)
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("does not decode");
      }
    }
    System.out.printf("undecodable bodies: %d methods, %d calls, statuses %s%n", RawCalls.kagamiMethods().size(), calls, seen);
  }

  @Test
  void invalid_utf8_in_a_string_field_answers_invalid_argument_and_the_server_serves_on() throws Exception {
    // EmbedRequest{inputs: [EmbedInput{text: 0xC3 0x28}]}: field 1 (message, 4 bytes) holding field 1 (string, 2 bytes)
    byte[] body = {0x0A, 0x04, 0x0A, 0x02, (byte) 0xC3, 0x28};
    Status s = call(EmbeddingServiceGrpc.getEmbedMethod(), body);
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("UTF-8");
    // the same call on the stream, then a good call on the same channel
    assertThat(call(EmbeddingServiceGrpc.getEmbedStreamMethod(), body).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    var ok = EmbeddingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder().setText("still serving")).build());
    assertThat(ok.getEmbeddingsCount()).isEqualTo(1);
  }
}
