package dev.kagami.engine.djl;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kagami.engine.EngineOptions;

/** ONNX Runtime session options for serving. */
final class OrtOptions {

  private OrtOptions() {}

  /**
   * Full graph optimisation; one inter-op thread (the towers are sequential graphs); intra-op threads as
   * configured; and no spin-waiting of the intra-op pool between runs: spinning threads would take the
   * CPU from image decoding and the gRPC transport, which share the same cores in a server.
   */
  static OrtSession.SessionOptions session(EngineOptions options) {
    try {
      OrtSession.SessionOptions so = new OrtSession.SessionOptions();
      so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      so.setInterOpNumThreads(1);
      if (options.threads() > 0) {
        so.setIntraOpNumThreads(options.threads());
      }
      so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
      return so;
    } catch (OrtException e) {
      throw new IllegalStateException("cannot build ONNX Runtime session options: " + e.getMessage(), e);
    }
  }
}
