package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kagami.embedding.ParityCheck;
import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tuned image tower becomes a tuned package: TorchScript saved from DJL, ONNX written in Java from the
 * base ONNX, and the two agree (the parity check a new version must pass).
 */
class OnnxWeightWriterTest {

  @Test
  void the_tuned_onnx_written_in_java_matches_the_tuned_torchscript(@TempDir Path tmp) throws Exception {
    Path pkgDir = tmp.resolve("tiny-clip/2");
    Fixtures.copyTree(Fixtures.TINY_CLIP, pkgDir);
    Engine engine = Engine.getEngine("PyTorch");
    try (TrainableTower tower = TrainableTower.load(pkgDir.resolve("visual.pt"), n -> true);
        NDManager m = engine.newBaseManager()) {
      NDArray images = m.randomNormal(new Shape(4, 3, 224, 224));
      NDArray proxies = m.randomNormal(new Shape(2, 32));
      Optimizer opt = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(5e-3f)).build();
      for (int step = 0; step < 3; step++) {
        try (GradientCollector gc = engine.newGradientCollector()) {
          gc.backward(Losses.arcMargin(tower.forward(images), proxies, new int[] {0, 1, 0, 1}, Losses.S, Losses.M));
        }
        tower.trainableParameters().forEach(p -> opt.update(p.getId(), p.getArray(), p.getArray().getGradient()));
      }
      tower.save(pkgDir.resolve("visual.pt"));
      OnnxWeightWriter.write(Fixtures.TINY_CLIP.resolve("visual.onnx"), tower.weights(), pkgDir.resolve("visual.onnx"));
    }
    // the new version's manifest: version 2, new checksums
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(pkgDir.resolve("kagami-model.json").toFile());
    manifest.put("version", "2");
    manifest.set("files", json.valueToTree(ModelPackageReader.fileEntries(pkgDir,
        List.of("visual.onnx", "textual.onnx", "visual.pt", "textual.pt", "tokenizer.json"))));
    json.writerWithDefaultPrettyPrinter().writeValue(pkgDir.resolve("kagami-model.json").toFile(), manifest);

    ModelPackage tuned = new ModelPackageReader().read(pkgDir);
    ModelPackage base = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    EngineFactory f = new EngineFactory();
    try (EncoderEngine ort = f.open(EngineKind.ONNXRUNTIME, tuned, new EngineOptions(1, 0));
        EncoderEngine torch = f.open(EngineKind.PYTORCH, tuned, new EngineOptions(1, 0));
        EncoderEngine baseOrt = f.open(EngineKind.ONNXRUNTIME, base, new EngineOptions(1, 0));
        ClipTokenizer tok = new ClipTokenizer(tuned.tokenizer(), tuned.manifest().text(), 1000)) {
      double parity = ParityCheck.worstCosine(ort, torch, 224, tok);
      System.out.printf("tuned package: ONNX (written in Java) vs TorchScript worst cosine %.6f%n", parity);
      assertThat(parity).isGreaterThanOrEqualTo(0.9999);
      // and the weights did change: the tuned tower differs from the base
      assertThat(ParityCheck.worstCosine(ort, baseOrt, 224, tok)).isLessThan(0.999);
    }
  }

  @Test
  void a_weight_without_its_initializer_is_refused(@TempDir Path tmp) {
    assertThatThrownBy(() -> OnnxWeightWriter.write(Fixtures.TINY_CLIP.resolve("visual.onnx"),
        Map.of("no.such.param", new float[] {1f}, "proj", new float[3]), tmp.resolve("x.onnx")))
        .isInstanceOf(InvalidModelPackage.class)
        .hasMessageContaining("no.such.param has no initializer")
        .hasMessageContaining("proj has 2048 elements in the ONNX, 3 tuned");
    assertThat(Files.exists(tmp.resolve("x.onnx"))).isFalse();
  }
}
