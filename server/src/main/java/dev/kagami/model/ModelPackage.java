package dev.kagami.model;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A model package found on disk and checked: every file the manifest names exists with the declared
 * SHA-256. Which engine can run it depends on the files present (ONNX always; TorchScript optional).
 */
public record ModelPackage(
    Path directory,
    Layout layout,
    ModelManifest manifest,
    Path visualOnnx,
    Path textualOnnx,
    Optional<Path> visualTorchScript,
    Optional<Path> textualTorchScript,
    Path tokenizer) {

  /** The on-disk layouts Kagami reads. */
  public enum Layout {
    /** {@code kagami-model.json} + {@code visual.onnx}, {@code textual.onnx}, {@code *.pt}, {@code tokenizer.json}. */
    KAGAMI,
    /** OpenCLIP / Immich export: {@code config.json}, {@code visual/model.onnx}, {@code textual/model.onnx}. */
    OPENCLIP
  }

  public String id() {
    return manifest.name() + "/" + manifest.version();
  }
}
