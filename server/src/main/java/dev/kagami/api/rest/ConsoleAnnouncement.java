package dev.kagami.api.rest;

import io.quarkus.vertx.http.HttpServerStart;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Prints where the admin console is once the HTTP server listens: the URL a newcomer opens. */
@ApplicationScoped
class ConsoleAnnouncement {

  private static final Logger LOG = Logger.getLogger(ConsoleAnnouncement.class);

  private final boolean console;

  ConsoleAnnouncement(@ConfigProperty(name = "quarkus.quinoa", defaultValue = "true") boolean console) {
    this.console = console;
  }

  void listening(@ObservesAsync HttpServerStart start) {
    if (console) {
      String host = start.options().getHost();
      String shown = host == null || host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
      int port = start.options().getPort();
      LOG.infof("Admin console: http://%s%s/ (REST API under /api/v1, Swagger UI at /q/swagger-ui)", shown,
          port > 0 ? ":" + port : "");
    }
  }
}
