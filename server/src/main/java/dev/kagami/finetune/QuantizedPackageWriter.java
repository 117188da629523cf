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
import java.util.Locale;

/**
 * Writes the int8 variant of a package as a new version ({@code <repository>/<name>/<version>/}): the
 * image tower's ONNX (and optionally the text tower's) through {@link OnnxInt8Quantizer}, the base's tokenizer, a manifest with the new version,
 * a description that names the base, and fresh SHA-256s. No TorchScript: the int8 graph is ONNX Runtime's,
 * so the version serves on ONNX Runtime only. Accepted only after a parity gate: ONNX Runtime on the int8
 * towers against the fp32 base on the parity probes (and the caller's images, when given), worst cosine at
 * least the gate's; otherwise nothing is left behind. Built in a temporary folder and renamed into place.
 */
public final class QuantizedPackageWriter {

  /** The parity gate's default: the least cosine between int8 and fp32 embeddings. */
  public static final double MIN_PARITY = 0.99;

  /** The written package, the worst cosine it showed, and what quantizing each tower did. */
  public record Result(ModelPackage pkg, double parity, OnnxInt8Quantizer.Result visual, OnnxInt8Quantizer.Result textual) {}

  private final EngineFactory engines;
  private final ObjectMapper json = new ObjectMapper();

  public QuantizedPackageWriter(EngineFactory engines) {
    this.engines = engines;
  }

  /**
   * Writes {@code base} quantized as version {@code version} of the same model.
   *
   * @param probeImages preprocessed images ({@code n x 3 x size x size}) checked besides the parity probes,
   *     or an empty array
   * @param minParity the gate: the least cosine with the fp32 base
   * @param text whether the text tower is quantized too. Off by default in the command: dynamic
   *     quantization scales a MatMul's activations by the largest value in the whole batch, so an int8 text
   *     embedding would depend on the other texts of its batch and on the padding, and the tower could no
   *     longer run on short sequences (their result differs from the full context's); the image tower has
   *     no padding and carries most of the FLOPs
   */
  public Result write(ModelPackage base, Path repository, String version, boolean text, float[] probeImages,
      double minParity) {
    Path target = PackageVersions.target(base, repository, version);
    if (base.layout() != ModelPackage.Layout.KAGAMI) {
      throw new InvalidInput("quantizing needs a Kagami-layout package (kagami-model.json): " + base.id());
    }
    Path tmp = PackageVersions.partialFolder(target);
    try {
      PackageVersions.clear(tmp);
      OnnxInt8Quantizer.Result v = OnnxInt8Quantizer.quantize(base.visualOnnx(), tmp.resolve("visual.onnx"));
      OnnxInt8Quantizer.Result t;
      if (text) {
        t = OnnxInt8Quantizer.quantize(base.textualOnnx(), tmp.resolve("textual.onnx"));
      } else {
        Files.copy(base.textualOnnx(), tmp.resolve("textual.onnx"));
        long size = Files.size(base.textualOnnx());
        t = new OnnxInt8Quantizer.Result(0, -1, 0, size, size);
      }
      Files.copy(base.tokenizer(), tmp.resolve("tokenizer.json"));
      ObjectNode manifest = (ObjectNode) json.readTree(base.directory().resolve("kagami-model.json").toFile());
      manifest.put("version", version);
      manifest.put("description", String.format(Locale.ROOT, "int8 variant of %s (dynamic quantization, per-channel "
          + "symmetric int8 weights of %d MatMuls of the image tower, %s; ONNX Runtime only), written by kagami quantize. "
          + "Base: %s", base.id(), v.quantizedMatMuls(), text ? t.quantizedMatMuls() + " of the text tower" : "text tower fp32",
          base.manifest().description()));
      manifest.set("files", json.valueToTree(ModelPackageReader.fileEntries(tmp,
          List.of("visual.onnx", "textual.onnx", "tokenizer.json"))));
      json.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve("kagami-model.json").toFile(), manifest);

      ModelPackage written = new ModelPackageReader().read(tmp);
      double parity = parity(base, written, probeImages);
      if (!(parity >= minParity)) {
        throw new InvalidModelPackage(String.format(Locale.ROOT, "int8 package %s/%s failed the parity gate: worst cosine "
            + "with the fp32 towers %.5f, below %.5f", base.manifest().name(), version, parity, minParity));
      }
      PackageVersions.publish(tmp, target);
      return new Result(new ModelPackageReader().read(target), parity, v, t);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + target + " failed: " + e.getMessage(), e);
    } finally {
      PackageVersions.discard(tmp);
    }
  }

  private double parity(ModelPackage base, ModelPackage written, float[] probeImages) {
    try (EncoderEngine fp32 = engines.open(EngineKind.ONNXRUNTIME, base, new EngineOptions(1, 0));
        EncoderEngine int8 = engines.open(EngineKind.ONNXRUNTIME, written, new EngineOptions(1, 0));
        ClipTokenizer tok = new ClipTokenizer(written.tokenizer(), written.manifest().text(), 1000)) {
      double worst = ParityCheck.worstCosine(fp32, int8, written.manifest().image().size(), tok);
      int size = written.manifest().image().size();
      int n = probeImages.length / (3 * size * size);
      if (n > 0) {
        float[][] a = fp32.encodeImages(probeImages, n);
        float[][] b = int8.encodeImages(probeImages, n);
        for (int i = 0; i < n; i++) {
          worst = Math.min(worst, ParityCheck.cosine(a[i], b[i]));
        }
      }
      return worst;
    }
  }
}
