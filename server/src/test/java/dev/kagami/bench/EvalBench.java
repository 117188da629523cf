package dev.kagami.bench;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.evaluation.EmbeddingCache;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;

/**
 * How long evaluating 10,000 images takes, split into embedding time and metric time: Fashion-MNIST
 * (Debian's dataset-fashion-mnist), 10k test images against a train split of the same size, with an
 * in-memory cache (first pass embeds everything, second pass is all cache hits, so metric time alone).
 *
 * <pre>bin/kagami-bench-eval [--package DIR] [--images 10000]</pre>
 */
public final class EvalBench {

  public static void main(String[] argv) throws Exception {
    Path root = Path.of("").toAbsolutePath();
    Path pkg = root.resolve("models/tiny-clip/1");
    int images = 10_000;
    Path fm = Path.of("/usr/share/datasets/fashion-mnist");
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--package" -> pkg = Path.of(argv[++i]).toAbsolutePath();
        case "--images" -> images = Integer.parseInt(argv[++i]);
        case "--fashion-mnist" -> fm = Path.of(argv[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    // images test + images train: half the items of each part go to test, half to train
    Dataset d = new DatasetImporter(decoder, dev.kagami.concurrent.Parallel.SEQUENTIAL).fashionMnist(fm, "fashion-mnist", images, ImportProgress.NONE);
    var splits = Splits.stratified(d, 1, new Splits.Fractions(0.5, 0.0, 0.5));
    try (ModelRuntime rt = new ModelLoader(new EngineFactory(), decoder).load(pkg, ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME));
        EmbeddingCache cache = EmbeddingCache.inMemory(rt.dimension())) {
      Evaluator ev = new Evaluator(rt, cache);
      Evaluator.Options o = new Evaluator.Options(EnumSet.allOf(Evaluator.Kpi.class), PromptTemplates.OPENAI_IMAGENET,
          "openai-imagenet", 21, 0.1, 32);
      System.out.printf(Locale.ROOT, "Evaluation bench: %s, Fashion-MNIST, %d cores%n", root.relativize(pkg),
          Runtime.getRuntime().availableProcessors());
      for (String pass : new String[] {"cold (embeds every image)", "warm (all embeddings cached)"}) {
        long t0 = System.nanoTime();
        EvaluationReport r = ev.evaluate(d, splits, Split.TEST, 1, o, ImportProgress.NONE);
        double total = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%-30s %d test + %d train images: total %.1f s = embedding %.1f s (%d images, %.1f/s) "
                + "+ metrics %.2f s + prompts and overhead %.1f s%n",
            pass, r.images(), r.operations().embeddedImages() + r.operations().cachedImages() - r.images(), total,
            r.operations().embedSeconds(), r.operations().embeddedImages(),
            r.operations().imagesPerSecond() == null ? 0 : r.operations().imagesPerSecond(), r.operations().metricSeconds(),
            total - r.operations().embedSeconds() - r.operations().metricSeconds());
      }
    }
  }
}
