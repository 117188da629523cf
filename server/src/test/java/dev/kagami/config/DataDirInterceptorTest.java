package dev.kagami.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataDirInterceptorTest {

  private static SmallRyeConfig config(Map<String, String> values) {
    return new SmallRyeConfigBuilder().addDefaultInterceptors().withInterceptors(new DataDirInterceptor())
        .withSources(new PropertiesConfigSource(values, "test", 100)).build();
  }

  @Test
  void aRelativeDataDirIsAbsoluteWhereverItIsUsed() {
    SmallRyeConfig c = config(Map.of("kagami.data-dir", "data",
        "db.url", "jdbc:h2:file:${kagami.data-dir}/kagami;DB_CLOSE_ON_EXIT=FALSE"));
    String cwd = Path.of("").toAbsolutePath().toString();
    assertThat(c.getRawValue("kagami.data-dir")).isEqualTo(cwd + "/data");
    assertThat(c.getRawValue("db.url")).isEqualTo("jdbc:h2:file:" + cwd + "/data/kagami;DB_CLOSE_ON_EXIT=FALSE");
  }

  @Test
  void absoluteAndProfileValuesAndExpressionsKeepTheirMeaning() {
    SmallRyeConfig c = new SmallRyeConfigBuilder().addDefaultInterceptors().withInterceptors(new DataDirInterceptor())
        .withProfile("prod").withSources(new PropertiesConfigSource(Map.of("kagami.data-dir", "/srv/kagami/../kagami",
            "%prod.kagami.data-dir", "state/./x", "base", "/opt"), "test", 100)).build();
    assertThat(c.getRawValue("kagami.data-dir")).as("the profile's value, made absolute")
        .isEqualTo(Path.of("").toAbsolutePath() + "/state/x");
    assertThat(config(Map.of("kagami.data-dir", "/srv/kagami/../kagami")).getRawValue("kagami.data-dir"))
        .isEqualTo("/srv/kagami");
    assertThat(config(Map.of("kagami.data-dir", "${base}/k", "base", "/opt")).getRawValue("kagami.data-dir"))
        .isEqualTo("/opt/k");
    assertThat(config(Map.of("other", "data")).getRawValue("other")).isEqualTo("data");
  }
}
