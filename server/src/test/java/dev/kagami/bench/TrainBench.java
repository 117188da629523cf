package dev.kagami.bench;

import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.ImageTunerTest;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Training speed of the image stage (ArcMargin, AdamW, augmentation) on this machine's CPU: step time and
 * images per second for a package and a choice of trainable parameters, the validation pass's
 * throughput, and what that makes of a PoC run. Prints figures; asserts nothing.
 *
 * <pre>
 * bin/kagami-bench-train [--package models/kagami-clip/1] [--trainable last-blocks:2|projection|all] [--batch 32]
 *     [--steps 12] [--images 1000] [--epochs 3]
 * </pre>
 */
public final class TrainBench {

  private TrainBench() {}

  public static void main(String[] argv) {
    java.util.Map<String, String> a = new java.util.HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    Path pkgDir = Path.of(a.getOrDefault("package", "models/kagami-clip/1")).toAbsolutePath();
    String trainable = a.getOrDefault("trainable", "last-blocks:2");
    int batch = Integer.parseInt(a.getOrDefault("batch", "32"));
    int steps = Integer.parseInt(a.getOrDefault("steps", "12"));
    int images = Integer.parseInt(a.getOrDefault("images", "1000"));
    int epochs = Integer.parseInt(a.getOrDefault("epochs", "3"));
    ModelPackage pkg = new ModelPackageReader().read(pkgDir);
    Function<List<String>, Predicate<String>> selector = trainable.startsWith("last-blocks")
        ? TrainableTower.lastBlocksOf(Integer.parseInt(trainable.split(":")[1]))
        : trainable.equals("all") ? names -> n -> true : names -> TrainableTower.projectionOnly();
    SplittableRandom r = new SplittableRandom(1);
    List<ImageTuner.Example> ex = new ArrayList<>();
    for (int i = 0; i < batch * (steps + 1); i++) {
      ex.add(new ImageTuner.Example(ImageTunerTest.pattern(i % 4, r), i % 4));
    }
    ClipImageTransform transform = new ClipImageTransform(pkg.manifest().image());
    try (TrainableTower tower = TrainableTower.select(pkg.visualTorchScript().orElseThrow(), selector)) {
      ImageTuner tuner = new ImageTuner(tower, transform);
      long[] at = new long[steps + 2];
      at[0] = System.nanoTime();
      tuner.train(ex, 4, ImageTuner.Config.gprFt(1, batch, 1e-4, 1), s -> at[s.step()] = System.nanoTime(), () -> false);
      double[] stepSec = new double[steps];
      for (int i = 0; i < steps; i++) {
        stepSec[i] = (at[i + 2] - at[i + 1]) / 1e9; // the first step (warm-up) is left out
      }
      Arrays.sort(stepSec);
      double median = stepSec[steps / 2];
      List<RgbImage> val = ex.subList(0, Math.min(ex.size(), 4 * batch)).stream().map(ImageTuner.Example::image).toList();
      long v0 = System.nanoTime();
      tuner.embed(val, 64);
      double valPerImage = (System.nanoTime() - v0) / 1e9 / val.size();
      long trainableParams = tower.trainableParameters().stream().mapToLong(p -> p.getArray().getShape().size()).sum();
      double trainImages = images * 0.6;
      double valImages = images * 0.2;
      double pocMinutes = (epochs * Math.floor(trainImages / batch) * median + (epochs + 1) * valImages * valPerImage) / 60;
      System.out.printf(Locale.ROOT, "package %s (image %d px), trainable %s: %,d parameters, batch %d, %d CPU cores%n", pkg.id(),
          transform.size(), trainable, trainableParams, batch, Runtime.getRuntime().availableProcessors());
      System.out.printf(Locale.ROOT, "training step: median %.3f s (min %.3f, max %.3f over %d steps after one warm-up) = %.1f images/s%n",
          median, stepSec[0], stepSec[steps - 1], steps, batch / median);
      System.out.printf(Locale.ROOT, "validation pass: %.1f images/s%n", 1 / valPerImage);
      System.out.printf(Locale.ROOT, "PoC estimate for %d images (60/20/20 split, %d epochs, validation each epoch): %.1f minutes "
          + "of training and validation (decoding and the final evaluation not included)%n", images, epochs, pocMinutes);
    }
  }
}
