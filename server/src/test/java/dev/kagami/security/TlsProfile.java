package dev.kagami.security;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * TLS on both ports from configuration, with a certificate the test makes (keytool, CN and SAN localhost):
 * gRPC refuses plain text, HTTP serves HTTPS only.
 */
public class TlsProfile implements QuarkusTestProfile {

  static final Path STORE = Path.of("target/test-data/tls/kagami-test.p12").toAbsolutePath();
  static final String PASSWORD = "kagami-test";

  private static boolean made;

  static synchronized Path store() {
    if (made) {
      return STORE;
    }
    try {
      Files.createDirectories(STORE.getParent());
      Files.deleteIfExists(STORE);
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
          "-alias", "kagami", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
          "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", STORE.toString(), "-storepass", PASSWORD)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + out);
      }
      made = true;
      return STORE;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public Map<String, String> getConfigOverrides() {
    String store = store().toString();
    return Map.ofEntries(
        Map.entry("quarkus.grpc.server.plain-text", "false"),
        Map.entry("quarkus.grpc.server.ssl.key-store", store),
        Map.entry("quarkus.grpc.server.ssl.key-store-type", "PKCS12"),
        Map.entry("quarkus.grpc.server.ssl.key-store-password", PASSWORD),
        Map.entry("quarkus.tls.key-store.p12.path", store),
        Map.entry("quarkus.tls.key-store.p12.password", PASSWORD),
        Map.entry("quarkus.http.insecure-requests", "disabled"),
        Map.entry("quarkus.http.test-ssl-port", "0"),
        Map.entry("quarkus.datasource.jdbc.url", "jdbc:h2:mem:kagami-tls;DB_CLOSE_DELAY=-1"));
  }
}
