package dev.kagami.registry;

import dev.kagami.model.ModelId;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One registered model version: what it is (layout, dimension, the checksum and size of its files, the
 * engines its files allow), where it came from, and who registered it when. Never changes once registered.
 *
 * @param parity lowest cosine between the ONNX and TorchScript embeddings when measured (a package with both)
 */
public record ModelVersion(ModelId id, String layout, int dimension, String checksum, long sizeBytes, List<String> engines,
    Origin origin, Optional<Lineage> lineage, Optional<Double> parity, String description, String createdBy,
    Instant createdAt) {

  public ModelVersion {
    engines = List.copyOf(engines);
  }

  /** Where a version came from. */
  public enum Origin {
    /** In the repository when the server started (the default model, packages copied in by hand). */
    FOUND,
    /** Imported through the API from a folder under the allowed roots. */
    IMPORTED,
    /** Written by a fine-tuning run. */
    TRAINED
  }

  /** A trained version's lineage: the run, its base model, method and dataset. */
  public record Lineage(String runId, ModelId base, String method, String dataset) {}

  public boolean hasBothEngines() {
    return engines.contains("onnxruntime") && engines.contains("pytorch");
  }
}
