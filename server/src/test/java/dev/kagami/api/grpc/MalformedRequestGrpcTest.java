package dev.kagami.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.SearchServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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

  /** Bytes no message of ours decodes from: a zero tag, a cut-off varint, a ten-byte varint, a cut-off length. */
  static final List<byte[]> GARBAGE = List.of(new byte[] {0x00}, new byte[] {0x08},
      new byte[] {(byte) 0x08, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x01}, new byte[] {0x0A, 0x7F, 0x01});

  @BeforeAll
  static void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", 9001).usePlaintext().build();
  }

  @AfterAll
  static void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** Sends {@code body} as the one request message of {@code method}; returns the status the call ends with. */
  static Status call(MethodDescriptor<?, ?> method, byte[] body) throws Exception {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.newBuilder(RAW, RAW).setType(method.getType())
        .setFullMethodName(method.getFullMethodName()).build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(10);
    call.sendMessage(body);
    call.halfClose();
    return closed.get(30, TimeUnit.SECONDS);
  }

  static List<MethodDescriptor<?, ?>> methods() {
    List<MethodDescriptor<?, ?>> out = new ArrayList<>();
    for (ServiceDescriptor sd : List.of(EmbeddingServiceGrpc.getServiceDescriptor(), SearchServiceGrpc.getServiceDescriptor(),
        DatasetServiceGrpc.getServiceDescriptor(), EvaluationServiceGrpc.getServiceDescriptor(),
        FineTuneServiceGrpc.getServiceDescriptor())) {
      out.addAll(sd.getMethods());
    }
    return out;
  }

  @Test
  void a_body_that_does_not_decode_answers_invalid_argument_on_every_method() throws Exception {
    Map<String, Integer> seen = new TreeMap<>();
    int calls = 0;
    for (MethodDescriptor<?, ?> m : methods()) {
      for (byte[] body : GARBAGE) {
        Status s = call(m, body);
        calls++;
        seen.merge(s.getCode().name(), 1, Integer::sum);
        assertThat(s.getCode()).as("%s with %d garbage bytes: %s", m.getFullMethodName(), body.length, s)
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("does not decode");
      }
    }
    System.out.printf("undecodable bodies: %d methods, %d calls, statuses %s%n", methods().size(), calls, seen);
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
