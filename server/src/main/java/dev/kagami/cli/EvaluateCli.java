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
import dev.kagami.evaluation.EmbeddingCache;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.evaluation.ReportWriter;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kagami evaluate}: evaluates a model package on a dataset and writes the report as Markdown and JSON. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Evaluates a model package on a dataset; writes OUT.md and OUT.json.")
final class EvaluateCli implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", description = "model package folder (default: ${DEFAULT-VALUE})")
  Path model = Path.of("models/tiny-clip/1");

  @Option(names = "--dataset", required = true, converter = DatasetSpec.Converter.class,
      description = "KIND:PATH: fashion-mnist:DIR, openclipart:DIR[:DEPTH], folder:DIR, manifest:FILE")
  DatasetSpec dataset;

  @Option(names = "--limit", description = "at most N images per part (Fashion-MNIST) or in all, evenly over classes")
  int limit;

  @Option(names = "--seed", description = "split and subsample seed (default: ${DEFAULT-VALUE})")
  long seed = 42;

  @Option(names = "--fractions", converter = FractionsConverter.class,
      description = "train,validation,test fractions (default: 0.8,0.1,0.1)")
  Splits.Fractions fractions = new Splits.Fractions(0.8, 0.1, 0.1);

  @Option(names = "--class-disjoint", description = "split by class instead of stratified within classes")
  boolean classDisjoint;

  @Option(names = "--split", description = "the split evaluated: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  Split split = Split.TEST;

  @Option(names = "--templates", description = "zero-shot prompt templates: openai-imagenet or simple (default: ${DEFAULT-VALUE})")
  String templates = "openai-imagenet";

  @Option(names = "--engine", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  EngineKind engine = EngineKind.ONNXRUNTIME;

  @Option(names = "--cache", description = "embedding cache folder (default: ${DEFAULT-VALUE})")
  Path cache = Path.of("data/cache/embeddings");

  @Option(names = "--out", required = true, description = "report path without extension")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    PromptTemplates.named(templates); // an unknown name fails here, before anything is imported
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    long t0 = System.nanoTime();
    Parallel cpu = new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    Dataset d = dataset.load(new DatasetImporter(decoder, cpu), limit, seed);
    o.printf(Locale.ROOT, "imported %s: %d images, %d classes, %d skipped (%.1f s)%n", d.name(), d.items().size(),
        d.classes().size(), d.skipped().size(), (System.nanoTime() - t0) / 1e9);
    Map<String, Split> splits = classDisjoint ? Splits.classDisjoint(d, seed, fractions) : Splits.stratified(d, seed, fractions);
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    try (ModelRuntime rt = loader.load(model.toAbsolutePath(), ModelLoader.Settings.forTool(engine));
        EmbeddingCache c = EmbeddingCache.open(EmbeddingCache.fileFor(cache, rt), rt.dimension())) {
      Evaluator.Options def = Evaluator.Options.defaults();
      Evaluator.Options opts = new Evaluator.Options(def.kpis(), PromptTemplates.named(templates), templates, def.k(),
          def.temperature(), def.imagesPerCall());
      EvaluationReport r = new Evaluator(rt, c, cpu).evaluate(d, splits, split, seed, opts, (stage, done, total) -> {
        if (done == total || done % 2048 < 256) {
          o.printf(Locale.ROOT, "  %s: %d / %d%n", stage, done, total);
          o.flush();
        }
      });
      List<String> notes = new ArrayList<>(r.notes());
      if (!d.skipped().isEmpty()) {
        notes.add(d.skipped().size() + " inputs skipped at import, e.g. " + d.skipped().get(0).ref() + ": "
            + d.skipped().get(0).reason());
      }
      r = new EvaluationReport(r.id(), r.createdAt(), r.model(), r.engine(), r.dataset(), r.split(), r.seed(), r.images(),
          r.classes(), r.templates(), r.summary(), r.perClass(), r.operations(), notes, r.calibration());
      ReportWriter writer = new ReportWriter();
      writer.write(r, out, KagamiCli.invocation(spec, "bin/kagami-evaluate"));
      o.println(writer.toMarkdown(r, null));
      o.println("wrote " + out + ".md and " + out + ".json");
    }
    return 0;
  }
}
