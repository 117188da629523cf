package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Re-A on the tiny package's real text tower: the image embeddings are fixed (four class clusters, as a
 * tuned image tower leaves them); re-aligning the text tower must make each class's prompts retrieve their
 * class's images, which the untrained text tower does at chance.
 */
class TextRealignerTest {

  static final long SEED = Long.getLong("kagami.test.seed", 31L);
  static final String[] CLASSES = {"horizontal stripes", "vertical stripes", "diagonal stripes", "a chessboard"};
  static final String[] TEMPLATES = {"a photo of %s.", "an image with %s.", "%s", "a picture showing %s."};

  static float[] unit(float[] v) {
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    float[] out = v.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] /= (float) Math.sqrt(n);
    }
    return out;
  }

  /** Zero-shot accuracy: each image's class is the class whose prompt ("a photo of X.") is nearest. */
  static double zeroShot(float[][] prompts, List<float[]> images, List<Integer> labels) {
    return ImageTunerTest.zeroShot(prompts, images.toArray(float[][]::new), labels.stream().mapToInt(Integer::intValue).toArray());
  }

  @Test
  void realignment_makes_class_prompts_find_their_images() {
    ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    int ctx = pkg.manifest().text().contextLength();
    SplittableRandom r = new SplittableRandom(SEED);
    int dim = pkg.manifest().embeddingDimension();
    float[][] centres = new float[CLASSES.length][dim];
    for (float[] c : centres) {
      for (int d = 0; d < dim; d++) {
        c[d] = (float) r.nextGaussian();
      }
    }
    try (ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 1000);
        TrainableTower tower = TrainableTower.load(Fixtures.TINY_CLIP.resolve("textual.pt"), n -> true)) {
      List<TextRealigner.Example> examples = new ArrayList<>();
      List<float[]> heldOut = new ArrayList<>();
      List<Integer> heldOutLabels = new ArrayList<>();
      for (int c = 0; c < CLASSES.length; c++) {
        List<long[]> captions = new ArrayList<>();
        for (int t = 1; t < TEMPLATES.length; t++) { // "a photo of X." is held out: the zero-shot prompt
          captions.add(tok.tokenize(String.format(TEMPLATES[t], CLASSES[c])));
        }
        for (int i = 0; i < 24; i++) {
          float[] v = new float[dim];
          for (int d = 0; d < dim; d++) {
            v[d] = centres[c][d] + 0.5f * (float) r.nextGaussian();
          }
          if (i < 16) {
            examples.add(new TextRealigner.Example(unit(v), captions));
          } else {
            heldOut.add(unit(v));
            heldOutLabels.add(c);
          }
        }
      }
      List<long[]> prompts = new ArrayList<>();
      for (String c : CLASSES) {
        prompts.add(tok.tokenize(String.format(TEMPLATES[0], c)));
      }
      TextRealigner realigner = new TextRealigner(tower, ctx);
      double before = zeroShot(realigner.embed(prompts), heldOut, heldOutLabels);
      List<ImageTuner.StepLog> log = realigner.train(examples, new TextRealigner.Config(8, 16, 1e-3, 0.1, 4, 1.0, SEED),
          s -> { }, () -> false);
      double after = zeroShot(realigner.embed(prompts), heldOut, heldOutLabels);
      double first = log.subList(0, 4).stream().mapToDouble(ImageTuner.StepLog::loss).average().orElseThrow();
      double last = log.subList(log.size() - 4, log.size()).stream().mapToDouble(ImageTuner.StepLog::loss).average().orElseThrow();
      System.out.printf("Re-A on the tiny text tower, %d steps: InfoNCE %.3f -> %.3f, zero-shot on held-out images with an "
          + "unseen template %.3f -> %.3f, logit scale %.1f%n", log.size(), first, last, before, after, Math.exp(realigner.logScale()));
      assertThat(last).as("seed %d", SEED).isLessThan(first);
      assertThat(after).as("seed %d", SEED).isGreaterThanOrEqualTo(0.9).isGreaterThan(before);
    }
  }
}
