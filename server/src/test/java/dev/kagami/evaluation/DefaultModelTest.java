package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The committed default model is a trained CLIP, within its size budget, and its two engines agree: on
 * 2,000 Fashion-MNIST images (408 in the test split) its zero-shot accuracy and k-NN accuracy hold the
 * floors below, a few points under what it reaches, far above chance (10 %). A random-weight package (like
 * tiny-clip) scores about 10 % zero-shot here.
 */
class DefaultModelTest {

  @Test
  void the_default_model_is_small_trained_and_its_engines_agree() throws Exception {
    long bytes;
    try (Stream<Path> files = Files.list(Fixtures.DEFAULT_MODEL)) {
      bytes = files.mapToLong(p -> p.toFile().length()).sum();
    }
    assertThat(bytes).as("package size").isLessThanOrEqualTo(16_000_000L);

    Path fm = Path.of("/usr/share/datasets/fashion-mnist");
    Assumptions.assumeTrue(Files.isDirectory(fm), "needs Debian's dataset-fashion-mnist (.ci/run installs it)");
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Dataset d = new DatasetImporter(decoder, dev.kagami.concurrent.Parallel.SEQUENTIAL).fashionMnist(fm, "fashion-mnist", 2000, ImportProgress.NONE);
    var splits = Splits.stratified(d, 42, new Splits.Fractions(0.8, 0.1, 0.1));
    ModelLoader.Settings parity = ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME).withParityCheck(0.9999);
    try (ModelRuntime rt = new ModelLoader(new EngineFactory(), decoder).load(Fixtures.DEFAULT_MODEL, parity)) {
      Evaluator.Options o = new Evaluator.Options(EnumSet.of(Evaluator.Kpi.ZERO_SHOT, Evaluator.Kpi.KNN),
          PromptTemplates.OPENAI_IMAGENET, "openai-imagenet", 21, 0.1, 32);
      EvaluationReport r = new Evaluator(rt, EmbeddingCache.inMemory(rt.dimension()))
          .evaluate(d, splits, Split.TEST, 42, o, ImportProgress.NONE);
      System.out.printf(java.util.Locale.ROOT, "DefaultModelTest: %s on %d Fashion-MNIST test images: zero-shot %.4f, k-NN %.4f%n",
          rt.id(), r.images(), r.summary().zeroShotAccuracy(), r.summary().knnAccuracy());
      assertThat(r.images()).isGreaterThanOrEqualTo(200);
      // kagami-clip/2 reaches 0.8309 and 0.8799 here (kagami-clip/1, the floors' first model: above 0.5 and 0.6)
      assertThat(r.summary().zeroShotAccuracy()).as("zero-shot accuracy").isGreaterThan(0.75);
      assertThat(r.summary().knnAccuracy()).as("k-NN accuracy").isGreaterThan(0.80);
    }
  }
}
