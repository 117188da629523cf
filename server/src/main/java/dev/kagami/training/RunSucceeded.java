package dev.kagami.training;

import dev.kagami.model.ModelId;

/**
 * CDI event: fine-tuning run {@code runId} wrote {@code result} from {@code base} with {@code method} on
 * {@code dataset}; {@code parity} is the tuned package's ONNX vs TorchScript check (NaN when not measured in
 * this process, a package written before a restart).
 */
public record RunSucceeded(String runId, ModelId result, ModelId base, String method, String dataset, double parity) {}
