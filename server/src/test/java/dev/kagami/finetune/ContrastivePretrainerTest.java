package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.RgbImage;
import dev.kagami.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Contrastive pretraining of both towers of the tiny package (the recipe of Kagami's default model): on
 * four pattern classes with captions, training from the random fixture weights must lower InfoNCE and make
 * an unseen prompt template classify held-out images well above chance; a run repeats exactly with its
 * seed, and cancellation stops it.
 */
class ContrastivePretrainerTest {

  static final long SEED = Long.getLong("kagami.test.seed", 41L);

  record Data(List<ContrastivePretrainer.Example> train, List<RgbImage> heldOut, int[] heldOutLabels, List<long[]> prompts) {}

  static Data data(ClipTokenizer tok, SplittableRandom r) {
    List<ContrastivePretrainer.Example> train = new ArrayList<>();
    List<RgbImage> heldOut = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int c = 0; c < TextRealignerTest.CLASSES.length; c++) {
      List<long[]> captions = new ArrayList<>();
      for (int t = 1; t < TextRealignerTest.TEMPLATES.length; t++) { // template 0 is the held-out prompt
        captions.add(tok.tokenize(String.format(TextRealignerTest.TEMPLATES[t], TextRealignerTest.CLASSES[c])));
      }
      for (int i = 0; i < 40; i++) {
        train.add(new ContrastivePretrainer.Example(ImageTunerTest.pattern(c, r), captions, c));
      }
      for (int i = 0; i < 8; i++) {
        heldOut.add(ImageTunerTest.pattern(c, r));
        labels.add(c);
      }
    }
    List<long[]> prompts = new ArrayList<>();
    for (String c : TextRealignerTest.CLASSES) {
      prompts.add(tok.tokenize(String.format(TextRealignerTest.TEMPLATES[0], c)));
    }
    return new Data(train, heldOut, labels.stream().mapToInt(Integer::intValue).toArray(), prompts);
  }

  static float[] weights(TrainableTower t) {
    List<float[]> parts = t.trainableParameters().stream().map(Parameter::getArray).map(NDArray::toFloatArray).toList();
    float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void pretraining_aligns_both_towers_and_repeats_exactly() {
    ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    ClipImageTransform transform = new ClipImageTransform(pkg.manifest().image());
    int ctx = pkg.manifest().text().contextLength();
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 1000)) {
      Data d = data(tok, new SplittableRandom(SEED));
      ContrastivePretrainer.Config cfg = new ContrastivePretrainer.Config(40, 16, 1e-3, 0.1, 5, 1.0, SEED);
      float[] visualAfter;
      float[] textualAfter;
      List<ImageTuner.StepLog> log;
      try (TrainableTower visual = TrainableTower.load(pkg.visualTorchScript().orElseThrow(), n -> true);
          TrainableTower textual = TrainableTower.load(pkg.textualTorchScript().orElseThrow(), n -> true)) {
        ImageTuner images = new ImageTuner(visual, transform);
        TextRealigner texts = new TextRealigner(textual, ctx);
        double before = ImageTunerTest.zeroShot(texts.embed(d.prompts()), images.embed(d.heldOut(), 32), d.heldOutLabels());
        ContrastivePretrainer trainer = new ContrastivePretrainer(visual, textual, transform, ctx);
        log = trainer.train(d.train(), cfg, s -> { }, () -> false);
        double after = ImageTunerTest.zeroShot(texts.embed(d.prompts()), images.embed(d.heldOut(), 32), d.heldOutLabels());
        double first = log.subList(0, 5).stream().mapToDouble(ImageTuner.StepLog::loss).average().orElseThrow();
        double last = log.subList(log.size() - 5, log.size()).stream().mapToDouble(ImageTuner.StepLog::loss).average()
            .orElseThrow();
        System.out.printf("Pretraining the tiny towers, %d steps: InfoNCE %.3f -> %.3f, zero-shot with an unseen template "
            + "%.3f -> %.3f, logit scale %.1f%n", log.size(), first, last, before, after, Math.exp(trainer.logScale()));
        assertThat(log).hasSize(40);
        assertThat(last).as("seed %d", SEED).isLessThan(first);
        assertThat(after).as("seed %d", SEED).isGreaterThanOrEqualTo(0.75).isGreaterThan(before);
        visualAfter = weights(visual);
        textualAfter = weights(textual);
      }
      try (TrainableTower visual = TrainableTower.load(pkg.visualTorchScript().orElseThrow(), n -> true);
          TrainableTower textual = TrainableTower.load(pkg.textualTorchScript().orElseThrow(), n -> true)) {
        List<ImageTuner.StepLog> again = new ContrastivePretrainer(visual, textual, transform, ctx)
            .train(d.train(), cfg, s -> { }, () -> false);
        assertThat(again).isEqualTo(log);
        // the same batches and draws; PyTorch's multi-threaded reductions may differ in the last bits
        assertThat(maxAbsDiff(weights(visual), visualAfter)).isLessThan(1e-6);
        assertThat(maxAbsDiff(weights(textual), textualAfter)).isLessThan(1e-6);
      }
    }
  }

  @Test
  void a_cancelled_run_stops_between_steps() {
    ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    ClipImageTransform transform = new ClipImageTransform(pkg.manifest().image());
    int ctx = pkg.manifest().text().contextLength();
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 1000);
        TrainableTower visual = TrainableTower.load(pkg.visualTorchScript().orElseThrow(), n -> true);
        TrainableTower textual = TrainableTower.load(pkg.textualTorchScript().orElseThrow(), n -> true)) {
      Data d = data(tok, new SplittableRandom(SEED));
      List<ImageTuner.StepLog> seen = new ArrayList<>();
      ContrastivePretrainer trainer = new ContrastivePretrainer(visual, textual, transform, ctx);
      assertThatThrownBy(() -> trainer.train(d.train(), new ContrastivePretrainer.Config(10, 16, 1e-3, 0.1, 0, 1.0, SEED),
          seen::add, () -> seen.size() >= 3))
          .isInstanceOf(Cancelled.class).hasMessage("pretraining cancelled at step 3 of 10");
      assertThat(seen).hasSize(3);
    }
  }
}
