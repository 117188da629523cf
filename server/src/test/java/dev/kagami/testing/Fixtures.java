package dev.kagami.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Paths of the committed fixtures (see src/test/resources/fixtures/README.md) and the golden data. */
public final class Fixtures {

  public static final Path ROOT = Path.of("src/test/resources/fixtures").toAbsolutePath();
  public static final Path GOLDEN = ROOT.resolve("golden");
  /** The tiny random-weight CLIP package: the model of the tests (fast, and its outputs are golden). */
  public static final Path TINY_CLIP = Path.of("../models/tiny-clip/1").toAbsolutePath().normalize();
  /** Kagami's own trained CLIP, the server's default model (models/kagami-clip/MODEL_CARD.md). */
  public static final Path DEFAULT_MODEL = Path.of("../models/kagami-clip/2").toAbsolutePath().normalize();
  /** The previous default model, still in the repository (a server started on it before keeps serving it). */
  public static final Path DEFAULT_MODEL_1 = Path.of("../models/kagami-clip/1").toAbsolutePath().normalize();

  private Fixtures() {}

  public record GoldenImage(String file, int width, int height, String crop, float[] embedding) {
    public Path path() {
      return GOLDEN.resolve(file);
    }

    public Path cropPath() {
      return GOLDEN.resolve(crop);
    }

    public byte[] bytes() {
      try {
        return Files.readAllBytes(path());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  public record GoldenText(String text, long[] ids, float[] embedding) {}

  public static JsonNode golden() {
    try {
      return new ObjectMapper().readTree(GOLDEN.resolve("golden.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<GoldenImage> goldenImages() {
    List<GoldenImage> out = new ArrayList<>();
    for (JsonNode n : golden().path("images")) {
      out.add(new GoldenImage(n.path("file").asText(), n.path("width").asInt(), n.path("height").asInt(),
          n.path("crop").asText(), floats(n.path("embedding"))));
    }
    return out;
  }

  public static List<GoldenText> goldenTexts() {
    List<GoldenText> out = new ArrayList<>();
    for (JsonNode n : golden().path("texts")) {
      long[] ids = new long[n.path("ids").size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = n.path("ids").get(i).asLong();
      }
      out.add(new GoldenText(n.path("text").asText(), ids, floats(n.path("embedding"))));
    }
    return out;
  }

  public static void copyTree(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path d = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(d);
        } else {
          Files.copy(p, d, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /**
   * Empties {@code folders} and copies the tiny package into {@code repository}/tiny-clip/1: a model repository
   * of a test server's own, which fine-tuning runs may write new versions into (the committed one stays as it is).
   */
  public static void freshRepository(Path repository, Path... folders) throws IOException {
    List<Path> all = new ArrayList<>(List.of(folders));
    all.add(0, repository);
    for (Path p : all) {
      if (Files.exists(p)) {
        try (java.util.stream.Stream<Path> walk = Files.walk(p)) {
          for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        }
      }
    }
    copyTree(TINY_CLIP, repository.resolve("tiny-clip/1"));
  }

  /** Builds the OpenCLIP/Immich export layout of the tiny package in {@code dir}. */
  public static void writeOpenClipLayout(Path dir) throws IOException {
    copyTree(GOLDEN.resolve("openclip-layout"), dir);
    Files.createDirectories(dir.resolve("textual")); // git keeps no empty folders
    Files.copy(TINY_CLIP.resolve("visual.onnx"), dir.resolve("visual/model.onnx"));
    Files.copy(TINY_CLIP.resolve("textual.onnx"), dir.resolve("textual/model.onnx"));
    Files.copy(TINY_CLIP.resolve("tokenizer.json"), dir.resolve("textual/tokenizer.json"));
  }

  public static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static float[] floats(JsonNode arr) {
    float[] f = new float[arr.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) arr.get(i).asDouble();
    }
    return f;
  }

  public static double cosine(float[] a, float[] b) {
    return dev.kagami.embedding.ParityCheck.cosine(a, b);
  }
}
