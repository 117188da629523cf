package dev.kagami.testing;

import dev.kagami.api.v1.DatasetServiceGrpc;
import dev.kagami.api.v1.EmbeddingServiceGrpc;
import dev.kagami.api.v1.EvaluationServiceGrpc;
import dev.kagami.api.v1.FineTuneServiceGrpc;
import dev.kagami.api.v1.SearchServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** gRPC calls with raw bytes as the request: any body, to any method, of any call type. */
public final class RawCalls {

  private RawCalls() {}

  /** Bytes no message of ours decodes from: a zero tag, a cut-off varint, a ten-byte varint, a cut-off length. */
  public static final List<byte[]> GARBAGE = List.of(new byte[] {0x00}, new byte[] {0x08},
      new byte[] {(byte) 0x08, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0x01}, new byte[] {0x0A, 0x7F, 0x01});

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
  public static Status call(Channel channel, MethodDescriptor<?, ?> method, byte[] body) throws Exception {
    return call(channel, method, body, new Metadata());
  }

  /** As {@link #call(Channel, MethodDescriptor, byte[])}, with {@code headers} (an API key, say). */
  public static Status call(Channel channel, MethodDescriptor<?, ?> method, byte[] body, Metadata headers) throws Exception {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.newBuilder(RAW, RAW).setType(method.getType())
        .setFullMethodName(method.getFullMethodName()).build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, headers);
    call.request(1000);
    call.sendMessage(body);
    call.halfClose();
    return closed.get(60, TimeUnit.SECONDS);
  }

  /** Every gRPC service the server binds: every kagami.v1 service (found by its generated class), health, reflection. */
  public static List<ServiceDescriptor> allServices() throws Exception {
    List<ServiceDescriptor> out = new ArrayList<>();
    for (com.tngtech.archunit.core.domain.JavaClass c : new com.tngtech.archunit.core.importer.ClassFileImporter()
        .importPackages("dev.kagami.api.v1")) {
      if (c.getSimpleName().endsWith("Grpc") && c.getEnclosingClass().isEmpty()) {
        out.add((ServiceDescriptor) Class.forName(c.getName()).getMethod("getServiceDescriptor").invoke(null));
      }
    }
    out.add(grpc.health.v1.HealthGrpc.getServiceDescriptor());
    out.add(grpc.reflection.v1alpha.ServerReflectionGrpc.getServiceDescriptor());
    out.add(io.grpc.reflection.v1.ServerReflectionGrpc.getServiceDescriptor());
    return out;
  }

  /** Every method of every kagami.v1 service. */
  public static List<MethodDescriptor<?, ?>> kagamiMethods() {
    List<MethodDescriptor<?, ?>> out = new ArrayList<>();
    for (ServiceDescriptor sd : List.of(EmbeddingServiceGrpc.getServiceDescriptor(), SearchServiceGrpc.getServiceDescriptor(),
        DatasetServiceGrpc.getServiceDescriptor(), EvaluationServiceGrpc.getServiceDescriptor(),
        FineTuneServiceGrpc.getServiceDescriptor())) {
      out.addAll(sd.getMethods());
    }
    return out;
  }
}
