package dev.kagami.engine.djl;

import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.model.ModelPackage;

/** DJL's engines (ONNX Runtime, PyTorch, TensorRT), registered as the {@link EngineFactory.Provider} service. */
public final class DjlEngineProvider implements EngineFactory.Provider {

  @Override
  public EncoderEngine open(EngineKind kind, ModelPackage pkg, EngineOptions options) {
    return DjlEncoderEngine.open(kind, pkg, options);
  }
}
