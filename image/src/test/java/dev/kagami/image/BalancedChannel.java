package dev.kagami.image;

import io.grpc.CallCredentials;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What a client of the {@code scale} overlay does (k8s/README.md, "gRPC load balancing"): it resolves every
 * serving pod behind the headless Service and balances per call with {@code round_robin}. Here the
 * "resolver" answers a fixed list of loopback addresses instead of DNS; the balancing is grpc-java's own, so
 * a killed server's subchannel goes to TRANSIENT_FAILURE and calls go to the others until it is back.
 */
final class BalancedChannel {
  private BalancedChannel() {}

  static ManagedChannel to(List<InetSocketAddress> servers) {
    NameResolverRegistry registry = new NameResolverRegistry();
    registry.register(new NameResolverProvider() {
      @Override
      protected boolean isAvailable() {
        return true;
      }

      @Override
      protected int priority() {
        return 5;
      }

      @Override
      public String getDefaultScheme() {
        return "pods";
      }

      @Override
      public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        return new NameResolver() {
          @Override
          public String getServiceAuthority() {
            return "kagami-grpc";
          }

          @Override
          public void start(Listener2 listener) {
            listener.onResult(ResolutionResult.newBuilder()
                .setAddressesOrError(io.grpc.StatusOr.fromValue(servers.stream()
                    .map(a -> new EquivalentAddressGroup(List.<SocketAddress>of(a))).toList()))
                .build());
          }

          @Override
          public void shutdown() {}
        };
      }
    });
    @SuppressWarnings("deprecation") // the registry's factory is how a channel takes a resolver of its own
    NettyChannelBuilder b = NettyChannelBuilder.forTarget("pods:///kagami-grpc").nameResolverFactory(registry.asFactory());
    return b.defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
  }

  /** An API key sent as {@code authorization: Bearer <secret>} on every call. */
  static CallCredentials bearer(String secret) {
    Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(authorization, "Bearer " + secret);
        applier.apply(m);
      }
    };
  }

  static Status.Code code(Throwable t) {
    return Status.fromThrowable(t).getCode();
  }
}
