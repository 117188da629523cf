package dev.kagami.api.grpc;

import dev.kagami.app.AuthService;
import dev.kagami.error.KagamiException;
import dev.kagami.security.AccessPolicy;
import dev.kagami.security.Principal;
import dev.kagami.security.Role;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every gRPC call passes here first: its key ({@code authorization: Bearer kgm_...}, or {@code x-api-key})
 * is checked against the access table before the request is read; a refused call is closed with
 * UNAUTHENTICATED or PERMISSION_DENIED. Admin calls are written to the audit log with how they ended.
 */
@GlobalInterceptor
@ApplicationScoped
public class AuthInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  /** Who makes the current call (for the services that record an actor). */
  public static final Context.Key<Principal> PRINCIPAL = Context.key("kagami-principal");

  private final AuthService auth;

  public AuthInterceptor(AuthService auth) {
    this.auth = auth;
  }

  /** Who the audit trail names for the current call: the key's name when a key was checked, else what the caller claims. */
  public static String actor(String claimed) {
    Principal p = PRINCIPAL.get();
    return p != null && p.authenticated() ? p.name() : claimed;
  }

  static String secret(Metadata headers) {
    String a = headers.get(AUTHORIZATION);
    if (a != null && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return a.substring(7).trim();
    }
    return a != null ? a.trim() : headers.get(API_KEY);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Principal who;
    try {
      who = auth.authorize(method, secret(headers));
    } catch (KagamiException e) {
      call.close(GrpcErrors.toStatus(e).getStatus(), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    ServerCall<Q, R> audited = call;
    if (auth.required() && AccessPolicy.required(method).filter(r -> r == Role.ADMIN).isPresent()) {
      audited = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        @Override
        public void close(Status status, Metadata trailers) {
          try {
            auth.audit(who, "grpc " + method, status.getCode().name(), status.getDescription() == null ? "" : status.getDescription());
          } catch (RuntimeException e) {
            // the call's answer must not depend on the audit log's database; the failure is logged by the repository
          }
          super.close(status, trailers);
        }
      };
    }
    return Contexts.interceptCall(Context.current().withValue(PRINCIPAL, who), audited, headers, next);
  }
}
