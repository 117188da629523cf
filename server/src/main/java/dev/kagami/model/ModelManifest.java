package dev.kagami.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a model package declares about itself. Read from {@code kagami-model.json} (Kagami's own layout,
 * format {@value #FORMAT}) or derived from an OpenCLIP/Immich export's {@code config.json} and
 * {@code visual/preprocess_cfg.json}.
 *
 * <p>Kagami layout on disk ({@code <repository>/<name>/<version>/}):
 *
 * <pre>
 * kagami-model.json   this manifest: name, version, dimension, preprocessing, tensor names, sha256 of every file
 * visual.onnx         image tower, input [N,3,S,S] float32 (normalised pixels), output [N,D] float32
 * textual.onnx        text tower, input [N,C] int64 (token ids), output [N,D] float32
 * visual.pt           the image tower as TorchScript (PyTorch engine, training)
 * textual.pt          the text tower as TorchScript
 * tokenizer.json      Hugging Face tokenizers file
 * </pre>
 *
 * Outputs need not be normalised; Kagami L2-normalises every embedding.
 */
public record ModelManifest(
    String format,
    String name,
    String version,
    String description,
    int embeddingDimension,
    ImageSpec image,
    TextSpec text,
    TensorNames tensors,
    Map<String, FileEntry> files) {

  public static final String FORMAT = "kagami-clip-package/1";

  public ModelManifest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(text, "text");
    files = files == null ? Map.of() : Map.copyOf(files);
    description = description == null ? "" : description;
  }

  /** Image preprocessing. */
  public record ImageSpec(int size, ResizeMode resizeMode, String interpolation, List<Double> mean, List<Double> std) {
    public ImageSpec {
      mean = List.copyOf(mean);
      std = List.copyOf(std);
    }
  }

  /** How the image is brought to {@code size x size}. */
  public enum ResizeMode {
    /** Shorter side to size, then centre crop (OpenAI CLIP). */
    SHORTEST,
    /** Longer side to size, then pad to a square (OpenCLIP's "longest"). */
    LONGEST,
    /** Both sides to size, ignoring the aspect ratio. */
    SQUASH;

    @com.fasterxml.jackson.annotation.JsonValue
    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static ResizeMode parse(String s) {
      if (s == null || s.isBlank()) {
        return SHORTEST;
      }
      return ResizeMode.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** Text tokenization. */
  public record TextSpec(int contextLength, int startTokenId, int endTokenId, int padTokenId, boolean lowerCase) {}

  /** Tensor names of the towers; null entries mean "the model's only input/output". */
  public record TensorNames(String imageInput, String imageOutput, String textInput, String textOutput) {
    public static final TensorNames DISCOVER = new TensorNames(null, null, null, null);
  }

  /** One file of the package and its expected SHA-256 (lower-case hex). */
  public record FileEntry(String sha256) {}
}
