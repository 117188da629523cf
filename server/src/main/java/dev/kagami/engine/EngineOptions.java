package dev.kagami.engine;

/**
 * How to open an engine.
 *
 * @param predictors predictors per tower (the most batches run at once on one tower)
 * @param threads intra-op threads per predictor, 0 for the engine's default (one per core)
 * @param spinning whether idle intra-op threads spin-wait for the next run (ONNX Runtime): lower latency
 *     for back-to-back batches, but it takes CPU from preprocessing on a small machine
 * @param shortTextSequences run the text tower on only as many positions as a batch needs, where the
 *     tower allows it (checked at load against the full context length); off: always the full context
 */
public record EngineOptions(int predictors, int threads, boolean spinning, boolean shortTextSequences) {
  public EngineOptions {
    if (predictors < 1) {
      throw new IllegalArgumentException("predictors must be >= 1, is " + predictors);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, is " + threads);
    }
  }

  /** Without spinning, with short text sequences where the tower allows them. */
  public EngineOptions(int predictors, int threads) {
    this(predictors, threads, false, true);
  }

  /** These options with short text sequences on or off. */
  public EngineOptions withShortTextSequences(boolean on) {
    return new EngineOptions(predictors, threads, spinning, on);
  }
}
