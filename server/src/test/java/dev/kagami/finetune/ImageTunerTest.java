package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.embedding.ModelRuntime;
import dev.kagami.model.ModelManifest;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.RgbImage;
import dev.kagami.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * GPR-FT's image side on the tiny package's real image tower: classes defined by a pattern (stripe
 * direction) under nuisances (grey levels, stripe period and phase). Training must lower the loss and separate
 * held-out images of different classes better than the untrained tower does.
 */
public class ImageTunerTest {

  static final long SEED = Long.getLong("kagami.test.seed", 21L);

  /** Class 0 horizontal stripes, 1 vertical, 2 diagonal, 3 checks; grey levels, period and phase random. */
  public static RgbImage pattern(int cls, SplittableRandom r) {
    int size = 64;
    int fgLevel = 128 + r.nextInt(128);
    int bgLevel = r.nextInt(100);
    int fg = fgLevel * 0x010101;
    int bg = bgLevel * 0x010101;
    int period = 6 + r.nextInt(5);
    int phase = r.nextInt(period);
    int[] px = new int[size * size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int t = switch (cls) {
          case 0 -> y;
          case 1 -> x;
          case 2 -> x + y;
          default -> (x / period + y / period) * period;
        };
        px[y * size + x] = ((t + phase) / (period / 2)) % 2 == 0 ? fg : bg;
      }
    }
    return new RgbImage(size, size, px);
  }

  /** Mean over held-out images of (mean cosine to same-class train images - mean cosine to the others). */
  static double separation(float[][] train, int[] trainLabels, float[][] test, int[] testLabels) {
    double total = 0;
    for (int i = 0; i < test.length; i++) {
      double same = 0;
      double other = 0;
      int ns = 0;
      int no = 0;
      for (int j = 0; j < train.length; j++) {
        double c = 0;
        for (int d = 0; d < test[i].length; d++) {
          c += test[i][d] * train[j][d];
        }
        if (trainLabels[j] == testLabels[i]) {
          same += c;
          ns++;
        } else {
          other += c;
          no++;
        }
      }
      total += same / ns - other / no;
    }
    return total / test.length;
  }

  /** Held-out accuracy of the nearest training image's class. */
  static double nearestNeighbourAccuracy(float[][] train, int[] trainLabels, float[][] test, int[] testLabels) {
    int right = 0;
    for (int i = 0; i < test.length; i++) {
      double best = Double.NEGATIVE_INFINITY;
      int label = -1;
      for (int j = 0; j < train.length; j++) {
        double c = 0;
        for (int d = 0; d < test[i].length; d++) {
          c += test[i][d] * train[j][d];
        }
        if (c > best) {
          best = c;
          label = trainLabels[j];
        }
      }
      right += label == testLabels[i] ? 1 : 0;
    }
    return right / (double) test.length;
  }

  @Test
  void arcmargin_training_separates_held_out_classes_better() {
    ModelManifest manifest = new ModelPackageReader().read(Fixtures.TINY_CLIP).manifest();
    ClipImageTransform transform = new ClipImageTransform(manifest.image());
    SplittableRandom r = new SplittableRandom(SEED);
    List<ImageTuner.Example> train = new ArrayList<>();
    List<RgbImage> test = new ArrayList<>();
    int[] testLabels = new int[16];
    for (int c = 0; c < 4; c++) {
      for (int i = 0; i < 48; i++) {
        train.add(new ImageTuner.Example(pattern(c, r), c));
      }
      for (int i = 0; i < 4; i++) {
        testLabels[test.size()] = c;
        test.add(pattern(c, r));
      }
    }
    int[] trainLabels = train.stream().mapToInt(ImageTuner.Example::label).toArray();
    List<RgbImage> trainImages = train.stream().map(ImageTuner.Example::image).toList();
    try (TrainableTower tower = TrainableTower.load(Fixtures.TINY_CLIP.resolve("visual.pt"), n -> true)) {
      ImageTuner tuner = new ImageTuner(tower, transform);
      float[][] tr0 = tuner.embed(trainImages, 32);
      float[][] te0 = tuner.embed(test, 32);
      double before = separation(tr0, trainLabels, te0, testLabels);
      double nnBefore = nearestNeighbourAccuracy(tr0, trainLabels, te0, testLabels);
      ImageTuner.Config cfg = ImageTuner.Config.gprFt(4, 16, 1e-3, SEED).withWarmup(4);
      List<ImageTuner.StepLog> log = tuner.train(train, 4, cfg, s -> { }, () -> false);
      float[][] tr1 = tuner.embed(trainImages, 32);
      float[][] te1 = tuner.embed(test, 32);
      double after = separation(tr1, trainLabels, te1, testLabels);
      double nnAfter = nearestNeighbourAccuracy(tr1, trainLabels, te1, testLabels);
      double firstEpoch = log.subList(0, 4).stream().mapToDouble(ImageTuner.StepLog::loss).average().orElseThrow();
      double lastEpoch = log.subList(log.size() - 4, log.size()).stream().mapToDouble(ImageTuner.StepLog::loss).average().orElseThrow();
      System.out.printf("GPR-FT on the tiny tower, 48 steps: loss %.3f -> %.3f, held-out separation %.4f -> %.4f, "
          + "1-NN accuracy %.3f -> %.3f%n", firstEpoch, lastEpoch, before, after, nnBefore, nnAfter);
      assertThat(log).hasSize(48);
      assertThat(log.get(0).learningRate()).isLessThan(log.get(2).learningRate()); // warm-up
      assertThat(lastEpoch).as("seed %d", SEED).isLessThan(firstEpoch);
      assertThat(after).as("seed %d", SEED).isGreaterThan(before + 0.1);
      assertThat(nnAfter).as("seed %d", SEED).isGreaterThanOrEqualTo(nnBefore);
    }
  }

  /** Accuracy of classifying each image by the nearest class text embedding (row c is class c). */
  static double zeroShot(float[][] classTexts, float[][] images, int[] labels) {
    return nearestNeighbourAccuracy(classTexts, java.util.stream.IntStream.range(0, classTexts.length).toArray(), images,
        labels);
  }

  /**
   * The paper's point in miniature: GPR-FT and MCIP both separate the classes, but only MCIP (0.75
   * ArcMargin + 0.25 Multi-Caption ArcMargin against the frozen text embeddings of each image's captions)
   * keeps the images next to their captions in the joint space, so classifying by text still works.
   */
  @Test
  void mcip_keeps_images_aligned_with_their_captions_where_gpr_ft_does_not() {
    String[] classes = {"horizontal stripes", "vertical stripes", "diagonal stripes", "a chessboard"};
    String[] templates = {"a photo of %s.", "an image with %s.", "a picture showing %s."};
    dev.kagami.model.ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    ClipTransformHolder h = new ClipTransformHolder(new ClipImageTransform(pkg.manifest().image()));
    SplittableRandom r = new SplittableRandom(SEED + 1);
    float[][] captionTable;
    float[][] classTexts = new float[classes.length][];
    try (dev.kagami.preprocess.ClipTokenizer tok = new dev.kagami.preprocess.ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 1000);
        TrainableTower text = TrainableTower.load(Fixtures.TINY_CLIP.resolve("textual.pt"), TrainableTower.projectionOnly())) {
      List<long[]> ids = new ArrayList<>();
      for (String c : classes) {
        for (String t : templates) {
          ids.add(tok.tokenize(String.format(t, c)));
        }
      }
      captionTable = new TextRealigner(text, pkg.manifest().text().contextLength()).embed(ids);
    }
    int dim = captionTable[0].length;
    for (int c = 0; c < classes.length; c++) { // a class's text: the mean of its caption embeddings
      float[] mean = new float[dim];
      for (int t = 0; t < templates.length; t++) {
        for (int d = 0; d < dim; d++) {
          mean[d] += captionTable[c * templates.length + t][d];
        }
      }
      classTexts[c] = mean;
    }
    List<ImageTuner.Example> train = new ArrayList<>();
    List<RgbImage> test = new ArrayList<>();
    int[] testLabels = new int[32];
    for (int c = 0; c < 4; c++) {
      int[] caps = {c * 3, c * 3 + 1, c * 3 + 2};
      for (int i = 0; i < 48; i++) {
        train.add(new ImageTuner.Example(pattern(c, r), c, caps));
      }
      for (int i = 0; i < 8; i++) {
        testLabels[test.size()] = c;
        test.add(pattern(c, r));
      }
    }
    double[] zs = new double[2];
    double[] sep = new double[2];
    int[] trainLabels = train.stream().mapToInt(ImageTuner.Example::label).toArray();
    for (int method = 0; method < 2; method++) {
      try (TrainableTower tower = TrainableTower.load(Fixtures.TINY_CLIP.resolve("visual.pt"), n -> true)) {
        ImageTuner tuner = new ImageTuner(tower, h.transform());
        ImageTuner.Config cfg = ImageTuner.Config.gprFt(4, 16, 1e-3, SEED).withWarmup(4).withCaptionWeight(method == 0 ? 0 : 0.25);
        tuner.train(train, 4, captionTable, cfg, s -> { }, () -> false);
        float[][] te = tuner.embed(test, 32);
        zs[method] = zeroShot(classTexts, te, testLabels);
        sep[method] = separation(tuner.embed(train.stream().map(ImageTuner.Example::image).toList(), 32), trainLabels, te, testLabels);
      }
    }
    System.out.printf("Tiny tower, 48 steps: held-out zero-shot by caption text: GPR-FT %.3f, MCIP %.3f; class separation: "
        + "GPR-FT %.3f, MCIP %.3f%n", zs[0], zs[1], sep[0], sep[1]);
    assertThat(sep[1]).as("MCIP still separates the classes (seed %d)", SEED).isGreaterThan(0.1);
    assertThat(zs[1]).as("MCIP keeps text alignment (seed %d)", SEED).isGreaterThanOrEqualTo(0.6).isGreaterThan(zs[0] + 0.3);
  }

  record ClipTransformHolder(ClipImageTransform transform) {}

  @Test
  void embeddings_as_served_are_the_serving_engines_and_differ_from_the_training_eval_view() throws Exception {
    dev.kagami.model.ModelPackage pkg = new ModelPackageReader().read(Fixtures.TINY_CLIP);
    ClipImageTransform transform = new ClipImageTransform(pkg.manifest().image());
    SplittableRandom r = new SplittableRandom(SEED);
    // a wide image: the serving transform's centre crop and the training eval view (resize 1.125x, crop) see different parts
    int w = 96;
    int h = 48;
    int[] px = new int[w * h];
    for (int i = 0; i < px.length; i++) {
      int x = i % w;
      px[i] = x < 24 ? 0xFF2020 : x < 48 ? r.nextInt(0x1000000) : x < 72 ? 0x20FF20 : 0x2020FF;
    }
    RgbImage img = new RgbImage(w, h, px);
    float[] served;
    try (ModelRuntime rt = new dev.kagami.embedding.ModelLoader(new dev.kagami.engine.EngineFactory(),
        new dev.kagami.preprocess.ImageDecoder(dev.kagami.preprocess.ImageLimits.DEFAULT)).load(Fixtures.TINY_CLIP,
            dev.kagami.embedding.ModelLoader.Settings.forTool(dev.kagami.engine.EngineKind.ONNXRUNTIME))) {
      served = rt.engine().encodeImages(transform.apply(img), 1)[0];
    }
    try (TrainableTower visual = TrainableTower.load(pkg.visualTorchScript().orElseThrow(), TrainableTower.projectionOnly())) {
      ImageTuner tuner = new ImageTuner(visual, transform);
      float[] asServed = tuner.embedAsServed(List.of(img), 1)[0];
      float[] evalView = tuner.embed(List.of(img), 1)[0];
      assertThat(cosine(asServed, served)).isGreaterThan(0.9999);
      assertThat(cosine(evalView, served)).isLessThan(cosine(asServed, served) - 1e-4);
    }
  }

  static double cosine(float[] a, float[] b) {
    double d = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      d += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return d / Math.sqrt(na * nb);
  }
}
