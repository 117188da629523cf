package dev.kagami.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kagami.testing.GrpcTesting;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** gRPC and HTTP over TLS with the test's certificate; plain text is refused on both. */
@QuarkusTest
@TestProfile(TlsProfile.class)
class TlsTest {

  @TestHTTPResource(value = "/api/v1/info", tls = true)
  URL info;

  static TrustManagerFactory trust() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(TlsProfile.STORE)) {
      ks.load(in, TlsProfile.PASSWORD.toCharArray());
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return tmf;
  }

  @Test
  void https_serves_the_api_with_the_configured_certificate() throws Exception {
    assertThat(info.getProtocol()).isEqualTo("https");
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, trust().getTrustManagers(), null);
    HttpClient client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(info.toURI()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"health\"");
    // a client that does not trust the certificate cannot connect
    assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(info.toURI()).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
  }

  @Test
  void grpc_speaks_tls_only() throws Exception {
    ManagedChannel tls = Grpc.newChannelBuilderForAddress("localhost", GrpcTesting.port(),
        TlsChannelCredentials.newBuilder().trustManager(trust().getTrustManagers()).build()).build();
    ManagedChannel plain = ManagedChannelBuilder.forAddress("localhost", GrpcTesting.port()).usePlaintext().build();
    try {
      HealthCheckResponse ok = HealthGrpc.newBlockingStub(tls).withDeadlineAfter(20, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      assertThat(ok.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      assertThatThrownBy(() -> HealthGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance())).isInstanceOf(StatusRuntimeException.class);
    } finally {
      tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
