package dev.kagami.evaluation;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Evaluates a model package on a dataset and writes the report as Markdown and JSON.
 *
 * <pre>
 * bin/kagami-evaluate --model models/tiny-clip/1 --dataset fashion-mnist:/usr/share/datasets/fashion-mnist \
 *     [--limit N] [--seed 42] [--fractions 0.8,0.1,0.1] [--class-disjoint] [--split test]
 *     [--templates openai-imagenet|simple] [--engine onnxruntime|pytorch] [--cache DIR] --out docs/eval/NAME
 * </pre>
 * Datasets: {@code fashion-mnist:DIR}, {@code openclipart:DIR[:depth]}, {@code folder:DIR}, {@code manifest:FILE}.
 * {@code --limit} keeps at most N images per part (Fashion-MNIST) or N in all, taken evenly over classes.
 */
public final class EvaluateCommand {

  private EvaluateCommand() {}

  public static void main(String[] argv) throws Exception {
    Path model = Path.of("models/tiny-clip/1");
    String datasetSpec = null;
    int limit = 0;
    long seed = 42;
    double[] fr = {0.8, 0.1, 0.1};
    boolean disjoint = false;
    Split split = Split.TEST;
    String templates = "openai-imagenet";
    EngineKind engine = EngineKind.ONNXRUNTIME;
    Path cacheDir = Path.of("data/cache/embeddings");
    Path out = null;
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--model" -> model = Path.of(argv[++i]);
        case "--dataset" -> datasetSpec = argv[++i];
        case "--limit" -> limit = Integer.parseInt(argv[++i]);
        case "--seed" -> seed = Long.parseLong(argv[++i]);
        case "--fractions" -> {
          String[] p = argv[++i].split(",");
          fr = new double[] {Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2])};
        }
        case "--class-disjoint" -> disjoint = true;
        case "--split" -> split = Split.valueOf(argv[++i].toUpperCase(Locale.ROOT));
        case "--templates" -> templates = argv[++i];
        case "--engine" -> engine = EngineKind.parse(argv[++i]);
        case "--cache" -> cacheDir = Path.of(argv[++i]);
        case "--out" -> out = Path.of(argv[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    if (datasetSpec == null || out == null) {
      throw new IllegalArgumentException("--dataset and --out are required");
    }
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    long t0 = System.nanoTime();
    dev.kagami.concurrent.Parallel cpu = new dev.kagami.concurrent.ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    Dataset d = importDataset(new DatasetImporter(decoder, cpu), datasetSpec, limit, seed);
    System.out.printf(Locale.ROOT, "imported %s: %d images, %d classes, %d skipped (%.1f s)%n", d.name(), d.items().size(),
        d.classes().size(), d.skipped().size(), (System.nanoTime() - t0) / 1e9);
    Splits.Fractions f = new Splits.Fractions(fr[0], fr[1], fr[2]);
    Map<String, Split> splits = disjoint ? Splits.classDisjoint(d, seed, f) : Splits.stratified(d, seed, f);
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    try (ModelRuntime rt = loader.load(model.toAbsolutePath(), ModelLoader.Settings.forTool(engine));
        EmbeddingCache cache = EmbeddingCache.open(EmbeddingCache.fileFor(cacheDir, rt), rt.dimension())) {
      Evaluator.Options o = Evaluator.Options.defaults();
      o = new Evaluator.Options(o.kpis(), PromptTemplates.named(templates), templates, o.k(), o.temperature(), o.imagesPerCall());
      EvaluationReport r = new Evaluator(rt, cache, cpu).evaluate(d, splits, split, seed, o, (stage, done, total) -> {
        if (done == total || done % 2048 < 256) {
          System.out.printf(Locale.ROOT, "  %s: %d / %d%n", stage, done, total);
        }
      });
      List<String> notes = new java.util.ArrayList<>(r.notes());
      if (!d.skipped().isEmpty()) {
        notes.add(d.skipped().size() + " inputs skipped at import, e.g. " + d.skipped().get(0).ref() + ": "
            + d.skipped().get(0).reason());
      }
      r = new EvaluationReport(r.id(), r.createdAt(), r.model(), r.engine(), r.dataset(), r.split(), r.seed(), r.images(),
          r.classes(), r.templates(), r.summary(), r.perClass(), r.operations(), notes);
      new ReportWriter().write(r, out, "bin/kagami-evaluate " + String.join(" ", argv));
      System.out.println(new ReportWriter().toMarkdown(r, null));
      System.out.println("wrote " + out + ".md and " + out + ".json");
    }
  }

  static Dataset importDataset(DatasetImporter imp, String spec, int limit, long seed) throws java.io.IOException {
    int colon = spec.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("dataset must be KIND:PATH, e.g. fashion-mnist:/usr/share/datasets/fashion-mnist");
    }
    String kind = spec.substring(0, colon);
    String rest = spec.substring(colon + 1);
    Dataset d = switch (kind) {
      case "fashion-mnist" -> imp.fashionMnist(Path.of(rest), "fashion-mnist", limit, dev.kagami.dataset.ImportProgress.NONE);
      case "openclipart" -> {
        String[] p = rest.split(":");
        yield imp.openClipart(Path.of(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 1, "openclipart",
            dev.kagami.dataset.ImportProgress.NONE);
      }
      case "folder" -> imp.folder(Path.of(rest), Path.of(rest).getFileName().toString(), dev.kagami.dataset.ImportProgress.NONE);
      case "manifest" -> imp.manifest(Path.of(rest), Path.of(rest).getFileName().toString(), dev.kagami.dataset.ImportProgress.NONE);
      default -> throw new IllegalArgumentException("unknown dataset kind " + kind);
    };
    if (limit > 0 && !kind.equals("fashion-mnist") && d.items().size() > limit) {
      d = Subsample.evenly(d, limit, seed);
    }
    return d;
  }
}
