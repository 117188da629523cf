package dev.kagami.api.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * A request body that does not decode (a garbage protobuf, invalid UTF-8 in a string field) is bad input:
 * INVALID_ARGUMENT with one log line. Without this, grpc-java's protobuf marshaller throws while the call
 * runs, and the server answers UNKNOWN ("Application error processing RPC") and logs a stack trace.
 *
 * <p>{@link #guard} rewrites a service so that each method's request marshaller never throws: it hands a
 * {@link Malformed} value on instead, and the call handler closes such a call with INVALID_ARGUMENT before the
 * service sees anything. Each Kagami service returns {@code RequestDecoding.guard(super.bindService())}.
 */
final class RequestDecoding {

  private static final Logger LOG = Logger.getLogger(RequestDecoding.class);

  private RequestDecoding() {}

  /** What the marshaller passes on for a body that does not decode. */
  record Malformed(String reason) {}

  static ServerServiceDefinition guard(ServerServiceDefinition def) {
    ServiceDescriptor old = def.getServiceDescriptor();
    List<ServerMethodDefinition<Object, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder sd = ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
      ServerMethodDefinition<Object, ?> guarded = guard(m);
      sd.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sd.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<Object, RespT> guard(ServerMethodDefinition<ReqT, RespT> m) {
    MethodDescriptor<ReqT, RespT> md = m.getMethodDescriptor();
    MethodDescriptor<Object, RespT> lenient = md.toBuilder(new LenientMarshaller<>(md.getRequestMarshaller()),
        md.getResponseMarshaller()).build();
    ServerCallHandler<ReqT, RespT> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(lenient, (call, headers) -> startCall(md, handler, call, headers));
  }

  @SuppressWarnings("unchecked")
  private static <ReqT, RespT> ServerCall.Listener<Object> startCall(MethodDescriptor<ReqT, RespT> md,
      ServerCallHandler<ReqT, RespT> handler, ServerCall<Object, RespT> call, Metadata headers) {
    ServerCall<ReqT, RespT> typed = new ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT>(
        (ServerCall<ReqT, RespT>) (ServerCall<?, RespT>) call) {
      @Override
      public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
        return md;
      }
    };
    ServerCall.Listener<ReqT> delegate = handler.startCall(typed, headers);
    return new ServerCall.Listener<>() {
      private boolean refused;

      @Override
      public void onMessage(Object message) {
        if (refused) {
          return;
        }
        if (message instanceof Malformed bad) {
          refused = true;
          LOG.infof("refused a %s request that does not decode: %s", md.getFullMethodName(), bad.reason());
          call.close(Status.INVALID_ARGUMENT.withDescription("the request does not decode as "
              + md.getFullMethodName() + "'s request message: " + bad.reason()), new Metadata());
          delegate.onCancel(); // the service lets go of the call's state
          return;
        }
        delegate.onMessage((ReqT) message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          delegate.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (!refused) {
          delegate.onCancel();
        }
      }

      @Override
      public void onComplete() {
        delegate.onComplete();
      }

      @Override
      public void onReady() {
        if (!refused) {
          delegate.onReady();
        }
      }
    };
  }

  /** The service's own marshaller, except that a body it cannot parse becomes a {@link Malformed}. */
  private record LenientMarshaller<T>(MethodDescriptor.Marshaller<T> inner) implements MethodDescriptor.Marshaller<Object> {
    @Override
    @SuppressWarnings("unchecked")
    public InputStream stream(Object value) {
      return inner.stream((T) value);
    }

    @Override
    public Object parse(InputStream stream) {
      try {
        return inner.parse(stream);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new Malformed(String.valueOf(cause.getMessage()));
      }
    }
  }
}
