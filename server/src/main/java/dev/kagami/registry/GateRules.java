package dev.kagami.registry;

import dev.kagami.error.KagamiException.InvalidInput;

/**
 * The promotion gate's rules for one alias. A candidate passes when, on the same dataset and split as the
 * version the alias serves now:
 *
 * @param minMapGain its image-to-image mAP is at least the current one's plus this margin
 * @param textTolerance its zero-shot accuracy and text-to-image recall@5 are not lower than the current ones minus this
 * @param maxClassApDrop no class's image-to-image AP drops by more than this
 * @param maxLatencyP99Ms its embedding call latency p99 (as the evaluation measured it) is within this budget
 * @param requireParity a package with both engines' files passed the ONNX vs TorchScript parity check
 */
public record GateRules(double minMapGain, double textTolerance, double maxClassApDrop, double maxLatencyP99Ms,
    boolean requireParity) {

  public GateRules {
    if (!Double.isFinite(minMapGain) || minMapGain < -1 || minMapGain > 1) {
      throw new InvalidInput("min_map_gain must be in [-1, 1], is " + minMapGain);
    }
    if (!Double.isFinite(textTolerance) || textTolerance < 0 || textTolerance > 1) {
      throw new InvalidInput("text_tolerance must be in [0, 1], is " + textTolerance);
    }
    if (!Double.isFinite(maxClassApDrop) || maxClassApDrop < 0 || maxClassApDrop > 1) {
      throw new InvalidInput("max_class_ap_drop must be in [0, 1], is " + maxClassApDrop);
    }
    if (!Double.isFinite(maxLatencyP99Ms) || maxLatencyP99Ms <= 0) {
      throw new InvalidInput("max_latency_p99_ms must be > 0, is " + maxLatencyP99Ms);
    }
  }

  /**
   * The defaults: not worse at image retrieval (margin 0), text side within 0.02, no class down by more than
   * 0.05 AP, p99 within 2 s per embedding call (the evaluation's calls carry many images), parity required.
   */
  public static GateRules defaults() {
    return new GateRules(0.0, 0.02, 0.05, 2000, true);
  }
}
