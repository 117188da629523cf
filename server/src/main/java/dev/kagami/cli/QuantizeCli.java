package dev.kagami.cli;

import dev.kagami.concurrent.Parallel;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.evaluation.EmbeddingCache;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.finetune.QuantizedPackageWriter;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kagami quantize}: writes the int8 variant of a package as a new version of the same model, through
 * the parity gate, and optionally through a KPI check on a dataset (image-to-image mAP and zero-shot
 * accuracy of the int8 version within a tolerance of the fp32 one, on the same split); a version that fails
 * either is removed again and the command ends with exit code 1.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = "Writes the int8 variant of a model package as a new version, checked against the fp32 one.")
final class QuantizeCli implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, description = "the fp32 package folder (REPOSITORY/NAME/VERSION)")
  Path model;

  @Option(names = "--version", description = "the new version (default: the base's version + '-int8')")
  String version;

  @Option(names = "--text", description = "quantize the text tower too (off: int8 text embeddings would depend on the "
      + "other texts of a batch, and the tower could not run on short sequences)")
  boolean text;

  @Option(names = "--min-parity", description = "least cosine with the fp32 towers (default: ${DEFAULT-VALUE})")
  double minParity = QuantizedPackageWriter.MIN_PARITY;

  @Option(names = "--dataset", converter = DatasetSpec.Converter.class,
      description = "KIND:PATH for the KPI check (as for evaluate); without it only the parity gate runs")
  DatasetSpec dataset;

  @Option(names = "--limit", description = "at most N images of the dataset (as for evaluate)")
  int limit;

  @Option(names = "--kpi-tolerance", description = "largest drop of mAP and zero-shot accuracy allowed (default: ${DEFAULT-VALUE})")
  double tolerance = 0.01;

  @Option(names = "--cache", description = "embedding cache folder (default: ${DEFAULT-VALUE})")
  Path cache = Path.of("data/cache/embeddings");

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    ModelPackage base = new ModelPackageReader().read(model.toAbsolutePath());
    String v = version != null ? version : base.manifest().version() + "-int8";
    Path repository = model.toAbsolutePath().getParent().getParent();
    long t0 = System.nanoTime();
    QuantizedPackageWriter.Result r = new QuantizedPackageWriter(new EngineFactory()).write(base, repository, v, text,
        new float[0], minParity);
    o.printf(Locale.ROOT, "wrote %s in %.1f s: image tower %d MatMuls int8 (%d left float), %.1f -> %.1f MB; text tower %s; "
        + "parity gate: worst cosine %.5f >= %.5f%n", r.pkg().directory(), (System.nanoTime() - t0) / 1e9,
        r.visual().quantizedMatMuls(), r.visual().floatMatMulsLeft(), r.visual().bytesBefore() / 1e6, r.visual().bytesAfter() / 1e6,
        text ? String.format(Locale.ROOT, "%d MatMuls int8 (%d left), %.1f -> %.1f MB", r.textual().quantizedMatMuls(),
            r.textual().floatMatMulsLeft(), r.textual().bytesBefore() / 1e6, r.textual().bytesAfter() / 1e6) : "fp32 (as the base)",
        r.parity(), minParity);
    if (dataset != null) {
      try {
        kpiCheck(o, base.directory(), r.pkg().directory());
      } catch (RuntimeException e) {
        dev.kagami.finetune.PackageVersions.deleteTree(r.pkg().directory());
        throw e;
      }
    }
    return 0;
  }

  private void kpiCheck(PrintWriter o, Path fp32, Path int8) throws Exception {
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Parallel cpu = new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    long seed = 42;
    Dataset d = dataset.load(new DatasetImporter(decoder, cpu), limit, seed);
    Map<String, Split> splits = Splits.stratified(d, seed, new Splits.Fractions(0.8, 0.1, 0.1));
    EvaluationReport.Summary a = evaluate(decoder, cpu, fp32, d, splits, seed);
    EvaluationReport.Summary b = evaluate(decoder, cpu, int8, d, splits, seed);
    long test = splits.values().stream().filter(x -> x == Split.TEST).count();
    o.printf(Locale.ROOT, "KPI check on %s (test split, %d of %d images, seed %d): i2i mAP %s -> %s, zero-shot %s -> %s, "
        + "t2i R@5 %s -> %s (tolerance %.4f)%n", d.name(), test, d.items().size(), seed, f(a.i2iMap()), f(b.i2iMap()),
        f(a.zeroShotAccuracy()), f(b.zeroShotAccuracy()), f(a.t2iRecallAt5()), f(b.t2iRecallAt5()), tolerance);
    boolean ok = b.i2iMap() >= a.i2iMap() - tolerance
        && (a.zeroShotAccuracy() == null || b.zeroShotAccuracy() >= a.zeroShotAccuracy() - tolerance);
    if (!ok) {
      throw new FailedPrecondition("the int8 version fails the KPI check: a KPI dropped by more than " + tolerance
          + "; the version was removed");
    }
  }

  private static String f(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
  }

  private EvaluationReport.Summary evaluate(ImageDecoder decoder, Parallel cpu, Path dir, Dataset d, Map<String, Split> splits,
      long seed) throws Exception {
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    try (ModelRuntime rt = loader.load(dir, ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME));
        EmbeddingCache c = EmbeddingCache.open(EmbeddingCache.fileFor(cache, rt), rt.dimension())) {
      return new Evaluator(rt, c, cpu).evaluate(d, splits, Split.TEST, seed, Evaluator.Options.defaults(), (s, x, y) -> {})
          .summary();
    }
  }
}
