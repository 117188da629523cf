package dev.kagami.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kagami.embedding.ParityCheck;
import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns tuned towers into a new version of a model package, Triton-style ({@code <repository>/<name>/<version>/}):
 * the tuned TorchScript as DJL saved it, the tuned ONNX written in Java from the base package's ONNX
 * ({@link OnnxWeightWriter}), the base's tokenizer, and a manifest with the new version and fresh SHA-256s.
 * The version is accepted only if the ONNX and the TorchScript agree (worst cosine over probe images and
 * texts at least {@link #MIN_PARITY}); otherwise nothing is left behind. The package is built in a
 * temporary folder and moved into place in one rename, so a half-written version is never visible.
 */
public final class TunedPackageWriter {

  /** The worst cosine a tuned package's ONNX and TorchScript may show. */
  public static final double MIN_PARITY = 0.9999;

  /** The written package and the parity it showed. */
  public record Result(ModelPackage pkg, double parity) {}

  private final EngineFactory engines = new EngineFactory();
  private final ObjectMapper json = new ObjectMapper();

  /**
   * Writes {@code base}'s tuned version {@code version} under {@code repository/<name>/<version>}.
   *
   * @param visual the tuned image tower, or empty to keep the base's
   * @param textual the tuned text tower, or empty to keep the base's
   * @param description what was done (method, data, seed), for the manifest
   */
  public Result write(ModelPackage base, Path repository, String version, Optional<TrainableTower> visual,
      Optional<TrainableTower> textual, String description) {
    if (base.layout() != ModelPackage.Layout.KAGAMI || base.visualTorchScript().isEmpty()
        || base.textualTorchScript().isEmpty()) {
      throw new InvalidInput("fine-tuning needs a Kagami-layout base package with visual.pt and textual.pt: " + base.id());
    }
    Path target = PackageVersions.target(base, repository, version);
    Path tmp = PackageVersions.partialFolder(target);
    try {
      PackageVersions.clear(tmp);
      tower(base.visualTorchScript().get(), base.visualOnnx(), visual, tmp.resolve("visual.pt"), tmp.resolve("visual.onnx"));
      tower(base.textualTorchScript().get(), base.textualOnnx(), textual, tmp.resolve("textual.pt"), tmp.resolve("textual.onnx"));
      Files.copy(base.tokenizer(), tmp.resolve("tokenizer.json"));
      ObjectNode manifest = (ObjectNode) json.readTree(base.directory().resolve("kagami-model.json").toFile());
      manifest.put("version", version);
      manifest.put("description", description);
      manifest.set("files", json.valueToTree(ModelPackageReader.fileEntries(tmp,
          List.of("visual.onnx", "textual.onnx", "visual.pt", "textual.pt", "tokenizer.json"))));
      json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("kagami-model.json").toFile(), manifest);

      ModelPackage written = new ModelPackageReader().read(tmp);
      double parity;
      try (EncoderEngine ort = engines.open(EngineKind.ONNXRUNTIME, written, new EngineOptions(1, 0));
          EncoderEngine torch = engines.open(EngineKind.PYTORCH, written, new EngineOptions(1, 0));
          ClipTokenizer tok = new ClipTokenizer(written.tokenizer(), written.manifest().text(), 1000)) {
        parity = ParityCheck.worstCosine(ort, torch, written.manifest().image().size(), tok);
      }
      if (!(parity >= MIN_PARITY)) {
        throw new InvalidModelPackage("tuned package " + base.manifest().name() + "/" + version + " failed the parity "
            + "check: ONNX and TorchScript agree only to cosine " + parity + " (need " + MIN_PARITY + ")");
      }
      PackageVersions.publish(tmp, target);
      return new Result(new ModelPackageReader().read(target), parity);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + target + " failed: " + e.getMessage(), e);
    } finally {
      PackageVersions.discard(tmp);
    }
  }

  private static void tower(Path basePt, Path baseOnnx, Optional<TrainableTower> tuned, Path pt, Path onnx) throws IOException {
    if (tuned.isEmpty()) {
      Files.copy(basePt, pt);
      Files.copy(baseOnnx, onnx);
      return;
    }
    tuned.get().save(pt);
    OnnxWeightWriter.write(baseOnnx, tuned.get().trainedWeights(), onnx);
  }
}
