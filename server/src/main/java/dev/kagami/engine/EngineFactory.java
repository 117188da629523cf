package dev.kagami.engine;

import dev.kagami.engine.djl.DjlEncoderEngine;
import dev.kagami.model.ModelPackage;

/** Opens an {@link EncoderEngine} of a given kind on a model package. */
public final class EngineFactory {

  /**
   * Opens the package on {@code kind}. Fails fast, naming what is missing: an engine absent from this
   * host, a file the engine needs, a tensor name or an output dimension that does not match the manifest.
   */
  public EncoderEngine open(EngineKind kind, ModelPackage pkg, EngineOptions options) {
    return DjlEncoderEngine.open(kind, pkg, options);
  }
}
