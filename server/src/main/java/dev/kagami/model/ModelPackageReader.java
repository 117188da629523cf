package dev.kagami.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelManifest.FileEntry;
import dev.kagami.model.ModelManifest.ImageSpec;
import dev.kagami.model.ModelManifest.ResizeMode;
import dev.kagami.model.ModelManifest.TensorNames;
import dev.kagami.model.ModelManifest.TextSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a model package directory, in Kagami's layout or an OpenCLIP/Immich export, and checks it
 * before any engine touches it. Every problem is reported at once, in one message that names the
 * package, what is missing or wrong, and what was found.
 */
public final class ModelPackageReader {

  static final String MANIFEST = "kagami-model.json";
  private static final List<String> KAGAMI_REQUIRED = List.of("visual.onnx", "textual.onnx", "tokenizer.json");

  private final ObjectMapper json =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Reads and verifies the package in {@code dir}. */
  public ModelPackage read(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidModelPackage("Model package " + dir + " does not exist or is not a directory");
    }
    if (Files.isRegularFile(dir.resolve(MANIFEST))) {
      return readKagami(dir);
    }
    if (Files.isRegularFile(dir.resolve("config.json")) && Files.isDirectory(dir.resolve("visual"))) {
      return readOpenClip(dir);
    }
    throw new InvalidModelPackage("Model package " + dir + " has neither " + MANIFEST
        + " (Kagami layout) nor config.json + visual/ (OpenCLIP/Immich layout). It contains: " + listing(dir));
  }

  private ModelPackage readKagami(Path dir) {
    ModelManifest m;
    try {
      m = json.readValue(dir.resolve(MANIFEST).toFile(), ModelManifest.class);
    } catch (IOException | RuntimeException e) {
      throw new InvalidModelPackage("Model package " + dir + ": " + MANIFEST + " is not a valid manifest: "
          + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    if (!ModelManifest.FORMAT.equals(m.format())) {
      problems.add("format is '" + m.format() + "', expected '" + ModelManifest.FORMAT + "'");
    }
    checkSpecs(m, problems);
    for (String f : KAGAMI_REQUIRED) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        problems.add("required file " + f + " is missing");
      }
      if (!m.files().containsKey(f)) {
        problems.add("manifest lists no sha256 for " + f);
      }
    }
    for (Map.Entry<String, FileEntry> e : m.files().entrySet()) {
      Path p = dir.resolve(e.getKey()).normalize();
      if (!p.startsWith(dir.normalize())) {
        problems.add("file entry " + e.getKey() + " points outside the package");
        continue;
      }
      if (!Files.isRegularFile(p)) {
        if (!KAGAMI_REQUIRED.contains(e.getKey())) {
          problems.add("manifest lists " + e.getKey() + " but the file is missing");
        }
        continue;
      }
      String actual = sha256(p);
      String expected = e.getValue() == null ? null : e.getValue().sha256();
      if (expected == null || !expected.equalsIgnoreCase(actual)) {
        problems.add(e.getKey() + ": sha256 is " + actual + ", manifest expects " + expected);
      }
    }
    failIfAny(dir, problems);
    return new ModelPackage(dir, ModelPackage.Layout.KAGAMI, m, dir.resolve("visual.onnx"), dir.resolve("textual.onnx"),
        optionalFile(dir.resolve("visual.pt")), optionalFile(dir.resolve("textual.pt")), dir.resolve("tokenizer.json"));
  }

  private ModelPackage readOpenClip(Path dir) {
    List<String> problems = new ArrayList<>();
    Path visual = dir.resolve("visual/model.onnx");
    Path textual = dir.resolve("textual/model.onnx");
    Path preprocess = dir.resolve("visual/preprocess_cfg.json");
    Path tokenizer = dir.resolve("textual/tokenizer.json");
    for (Path p : List.of(visual, textual, preprocess, tokenizer)) {
      if (!Files.isRegularFile(p)) {
        problems.add("required file " + dir.relativize(p) + " is missing");
      }
    }
    failIfAny(dir, problems);
    try {
      JsonNode config = json.readTree(dir.resolve("config.json").toFile());
      JsonNode pre = json.readTree(preprocess.toFile());
      int dim = config.path("embed_dim").asInt(0);
      int context = config.path("text_cfg").path("context_length").asInt(77);
      JsonNode size = pre.path("size");
      int imageSize = size.isArray() ? size.get(0).asInt() : size.asInt(0);
      if (size.isArray() && size.size() == 2 && size.get(0).asInt() != size.get(1).asInt()) {
        problems.add("visual/preprocess_cfg.json size " + size + " is not square");
      }
      TokenIds ids = tokenIds(tokenizer);
      String name = dir.getParent() == null ? dir.getFileName().toString() : dir.getParent().getFileName().toString();
      ImageSpec image = new ImageSpec(imageSize, ResizeMode.parse(pre.path("resize_mode").asText("shortest")),
          pre.path("interpolation").asText("bicubic"), doubles(pre.path("mean")), doubles(pre.path("std")));
      ModelManifest m = new ModelManifest(ModelManifest.FORMAT, name, dir.getFileName().toString(),
          "OpenCLIP/Immich export", dim, image, new TextSpec(context, ids.start, ids.end, ids.end, true),
          TensorNames.DISCOVER, Map.of());
      checkSpecs(m, problems);
      failIfAny(dir, problems);
      return new ModelPackage(dir, ModelPackage.Layout.OPENCLIP, m, visual, textual, Optional.empty(), Optional.empty(),
          tokenizer);
    } catch (IOException e) {
      throw new InvalidModelPackage("Model package " + dir + ": cannot read its JSON files: " + e.getMessage(), e);
    }
  }

  private record TokenIds(int start, int end) {}

  private TokenIds tokenIds(Path tokenizer) throws IOException {
    JsonNode vocab = json.readTree(tokenizer.toFile()).path("model").path("vocab");
    JsonNode sot = vocab.get("<|startoftext|>");
    JsonNode eot = vocab.get("<|endoftext|>");
    if (sot == null || eot == null) {
      throw new InvalidModelPackage("Tokenizer " + tokenizer + " has no <|startoftext|>/<|endoftext|> tokens; "
          + "it is not a CLIP tokenizer");
    }
    return new TokenIds(sot.asInt(), eot.asInt());
  }

  private static void checkSpecs(ModelManifest m, List<String> problems) {
    if (m.embeddingDimension() <= 0) {
      problems.add("embeddingDimension must be positive, is " + m.embeddingDimension());
    }
    ImageSpec im = m.image();
    if (im.size() <= 0 || im.size() > 4096) {
      problems.add("image.size must be in 1..4096, is " + im.size());
    }
    if (im.mean().size() != 3 || im.std().size() != 3) {
      problems.add("image.mean and image.std need 3 values each, have " + im.mean() + " and " + im.std());
    } else if (im.std().stream().anyMatch(s -> s <= 0)) {
      problems.add("image.std values must be positive: " + im.std());
    }
    if (im.interpolation() != null && !im.interpolation().equalsIgnoreCase("bicubic")) {
      problems.add("image.interpolation '" + im.interpolation() + "' is not supported (bicubic only)");
    }
    if (m.text().contextLength() < 2 || m.text().contextLength() > 4096) {
      problems.add("text.contextLength must be in 2..4096, is " + m.text().contextLength());
    }
  }

  private static void failIfAny(Path dir, List<String> problems) {
    if (!problems.isEmpty()) {
      throw new InvalidModelPackage("Model package " + dir + " is invalid: " + String.join("; ", problems));
    }
  }

  private static List<Double> doubles(JsonNode arr) {
    List<Double> out = new ArrayList<>();
    arr.forEach(n -> out.add(n.asDouble()));
    return out;
  }

  private static Optional<Path> optionalFile(Path p) {
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  static String listing(Path dir) {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : "")).sorted().toList().toString();
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /** SHA-256 of a file as lower-case hex. */
  public static String sha256(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new InvalidModelPackage("Cannot read " + p + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Manifest file entries for the files present, for writers of packages (tests, fine-tuning). */
  public static Map<String, FileEntry> fileEntries(Path dir, List<String> names) {
    Map<String, FileEntry> out = new LinkedHashMap<>();
    for (String n : names) {
      if (Files.isRegularFile(dir.resolve(n))) {
        out.put(n, new FileEntry(sha256(dir.resolve(n))));
      }
    }
    return out;
  }
}
