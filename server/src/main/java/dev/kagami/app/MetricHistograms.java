package dev.kagami.app;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Latency histograms (Prometheus {@code _bucket} series) for the gRPC and HTTP server timers, so that
 * percentiles can be taken across replicas ({@code histogram_quantile}, as the Grafana dashboard in
 * k8s/overlays/scale does); buckets from 1 ms to 60 s.
 */
public class MetricHistograms {

  static final String GRPC = "grpc.server.processing.duration";
  static final String HTTP = "http.server.requests";

  @Produces
  @Singleton
  MeterFilter serverLatencyHistograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() == Meter.Type.TIMER && (id.getName().equals(GRPC) || id.getName().equals(HTTP))) {
          return DistributionStatisticConfig.builder().percentilesHistogram(true)
              .minimumExpectedValue((double) Duration.ofMillis(1).toNanos())
              .maximumExpectedValue((double) Duration.ofSeconds(60).toNanos())
              .build().merge(config);
        }
        return config;
      }
    };
  }
}
