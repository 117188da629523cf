package dev.kagami.config;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;
import java.nio.file.Path;

/**
 * Resolves a relative {@code kagami.data-dir} against the working directory where it is read, so every
 * setting built from it ({@code ${kagami.data-dir}/...}) holds an absolute path. The H2 database URL needs
 * that: H2 refuses a file path that is "implicitly relative" ({@code jdbc:h2:file:data/kagami}), which made
 * the default start-up fail. It sits below expression expansion in the chain (SmallRye's expression
 * interceptor has priority {@code LIBRARY + 300}, profiles {@code LIBRARY + 200}), so the value an expression
 * looks up is rewritten too. A value that starts with an expression ({@code ${HOME}/kagami}) is left as it is.
 */
@Priority(Priorities.LIBRARY + 275)
public final class DataDirInterceptor implements ConfigSourceInterceptor {

  static final String NAME = "kagami.data-dir";

  @Override
  public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
    ConfigValue value = context.proceed(name);
    if (!NAME.equals(name) || value == null || value.getValue() == null || value.getValue().isBlank()) {
      return value;
    }
    if (value.getValue().startsWith("$")) {
      return value;
    }
    return value.withValue(absolute(value.getValue()));
  }

  /** {@code dir} as an absolute, normalised path (unchanged when it is one already). */
  static String absolute(String dir) {
    return Path.of(dir.strip()).toAbsolutePath().normalize().toString();
  }
}
