package dev.kagami.engine;

/**
 * How to open an engine.
 *
 * @param predictors predictors per tower (the most batches run at once on one tower)
 * @param threads intra-op threads per predictor, 0 for the engine's default
 */
public record EngineOptions(int predictors, int threads) {
  public EngineOptions {
    if (predictors < 1) {
      throw new IllegalArgumentException("predictors must be >= 1, is " + predictors);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, is " + threads);
    }
  }
}
