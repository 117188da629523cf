package dev.kagami.engine;

import dev.kagami.model.ModelPackage;
import java.util.ServiceLoader;

/**
 * Opens an {@link EncoderEngine} of a given kind on a model package. The implementation is found as a
 * {@link Provider} service (engine.djl registers DJL's in {@code META-INF/services}), so this package never
 * depends on an implementation: engines are reached only through here.
 */
public final class EngineFactory {

  /** An engine implementation. */
  public interface Provider {
    EncoderEngine open(EngineKind kind, ModelPackage pkg, EngineOptions options);
  }

  private final Provider provider;

  /** The factory over the registered implementation. */
  public EngineFactory() {
    this(ServiceLoader.load(Provider.class, EngineFactory.class.getClassLoader()).findFirst()
        .orElseThrow(() -> new IllegalStateException("no encoder engine implementation is registered ("
            + "META-INF/services/" + Provider.class.getName() + ")")));
  }

  public EngineFactory(Provider provider) {
    this.provider = provider;
  }

  /**
   * Opens the package on {@code kind}. Fails fast, naming what is missing: an engine absent from this
   * host, a file the engine needs, a tensor name or an output dimension that does not match the manifest.
   */
  public EncoderEngine open(EngineKind kind, ModelPackage pkg, EngineOptions options) {
    return provider.open(kind, pkg, options);
  }
}
