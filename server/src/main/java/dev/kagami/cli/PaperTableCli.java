package dev.kagami.cli;

import dev.kagami.concurrent.Parallel;
import dev.kagami.concurrent.ThreadPools;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.evaluation.EmbeddingCache;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.training.DefaultModelTraining;
import dev.kagami.training.FineTuneRunner;
import dev.kagami.training.PaperTable;
import dev.kagami.training.RunSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kagami paper-table}: the paper's comparison run by Kagami: base, GPR-FT, 2SFT, MCIP and MCIP + Re-A
 * fine-tuned from one base model on one PoC dataset, each evaluated on the PoC test split, written as a
 * Markdown page ({@link PaperTable}).
 *
 * <p>The PoC dataset is the part of OpenClipart that Kagami's default model never saw: the validation and
 * test splits of its pretraining split (seed 42, 80/10/10), split again 60/20/20 for the runs. Captions (for
 * MCIP and Re-A) come from the file names. With {@code --limit} and {@code --methods} it is also the PoC timing
 * check: one real run (preparation, training with validation, the tuned package with its ONNX parity check,
 * evaluation) on N images.
 */
@Command(name = "paper-table", mixinStandardHelpOptions = true,
    description = "Fine-tunes with each method of the paper and writes the comparison (docs/paper-effect.md).")
final class PaperTableCli implements Callable<Integer> {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--base", description = "base model package (default: ${DEFAULT-VALUE})")
  Path base = Path.of("models/kagami-clip/1");

  @Option(names = "--openclipart", description = "OpenClipart PNG folder (default: ${DEFAULT-VALUE})")
  Path clipart = Path.of("/usr/share/openclipart/png");

  @Option(names = "--out", description = "the Markdown page (default: ${DEFAULT-VALUE})")
  Path out = Path.of("docs/paper-effect.md");

  @Option(names = "--work", description = "scratch folder, emptied first (default: ${DEFAULT-VALUE})")
  Path work = Path.of("server/target/paper-effect");

  @Option(names = "--seed", description = "(default: ${DEFAULT-VALUE})")
  long seed = 7;

  @Option(names = "--epochs", description = "image stage epochs (default: ${DEFAULT-VALUE})")
  int epochs = 5;

  @Option(names = "--realign-epochs", description = "re-alignment epochs (default: ${DEFAULT-VALUE})")
  int realignEpochs = 5;

  @Option(names = "--lr", description = "image stage learning rate (default: ${DEFAULT-VALUE})")
  double lr = 1e-4;

  @Option(names = "--realign-lr", description = "re-alignment learning rate (default: ${DEFAULT-VALUE})")
  double realignLr = 1e-4;

  @Option(names = "--trainable", description = "what trains: all, projection or last-blocks:N (default: ${DEFAULT-VALUE})")
  String trainable = "last-blocks:2";

  @Option(names = "--limit", description = "at most N held-out images, evenly over classes (0 = all)")
  int limit;

  @Option(names = "--methods", split = ",", description = "methods to run: ${COMPLETION-CANDIDATES} (default: all)")
  List<RunSpec.Method> methods = List.of(RunSpec.Method.values());

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    String[] t = trainable.split(":");
    RunSpec.Trainable tr;
    int lastBlocks;
    try {
      tr = RunSpec.Trainable.valueOf(t[0].toUpperCase(Locale.ROOT).replace('-', '_'));
      lastBlocks = t.length > 1 ? Integer.parseInt(t[1]) : 0;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--trainable must be all, projection or last-blocks:N, not '"
          + trainable + "'");
    }
    Parallel cpu = new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Dataset all = new DatasetImporter(decoder, cpu).openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
    Map<String, Split> pretrain = Splits.stratified(all, DefaultModelTraining.SPLIT_SEED, DefaultModelTraining.FRACTIONS);
    List<DatasetItem> heldOut = all.items().stream().filter(it -> pretrain.get(it.id()) != Split.TRAIN).toList();
    if (limit > 0 && heldOut.size() > limit) {
      heldOut = Subsample.evenly(heldOut, limit, seed);
    }
    Dataset poc = Dataset.of("openclipart-heldout", "openclipart:" + clipart + " (not in the default model's pretraining split)",
        heldOut, List.of());
    Map<String, Split> splits = Splits.stratified(poc, seed, new Splits.Fractions(0.6, 0.2, 0.2));
    Path basePath = base.toAbsolutePath();
    ModelPackage basePkg = new ModelPackageReader().read(basePath);
    o.printf(Locale.ROOT, "PoC dataset: %d images, %d classes (train %d, validation %d, test %d)%n", poc.items().size(),
        poc.classes().size(), Splits.select(poc, splits, Split.TRAIN).size(), Splits.select(poc, splits, Split.VALIDATION).size(),
        Splits.select(poc, splits, Split.TEST).size());

    Path w = work.toAbsolutePath();
    deleteTree(w);
    Path repo = w.resolve("models");
    Files.createDirectories(repo);
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    Map<String, EvaluationReport> reports = new LinkedHashMap<>();
    Map<String, Double> minutes = new LinkedHashMap<>();
    Map<String, String> best = new LinkedHashMap<>();
    reports.put("base", evaluate(loader, basePath, poc, splits, w, cpu));
    for (RunSpec.Method m : methods) {
      RunSpec rs = new RunSpec(basePkg.manifest().name(), basePkg.manifest().version(), poc.name(), m, tr, lastBlocks, epochs, 32,
          lr, realignEpochs, realignLr, seed, 0, 3, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, m.name().toLowerCase(Locale.ROOT));
      long t0 = System.nanoTime();
      FineTuneRunner.Result r = new FineTuneRunner(decoder, repo, cpu).run(rs, basePkg, poc, splits,
          w.resolve("runs").resolve(m.name()), new Printer(m.name(), o), () -> false, Optional.empty());
      String label = PaperTable.label(m);
      minutes.put(label, (System.nanoTime() - t0) / 60e9);
      best.put(label, r.bestSteps().toString().replaceAll("[{}]", "").replace("=", " "));
      reports.put(label, evaluate(loader, repo.resolve(r.resultModel()), poc, splits, w, cpu));
    }
    String md = PaperTable.markdown(KagamiCli.invocation(spec, "bin/kagami-paper-table"), basePkg, poc, splits, reports, minutes,
        best, epochs, realignEpochs, lr, realignLr, tr, lastBlocks, seed);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md, StandardCharsets.UTF_8);
    o.println(md);
    o.println("wrote " + out);
    return 0;
  }

  private EvaluationReport evaluate(ModelLoader loader, Path pkg, Dataset d, Map<String, Split> splits, Path w, Parallel cpu)
      throws IOException {
    try (ModelRuntime rt = loader.load(pkg, ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME));
        EmbeddingCache cache = EmbeddingCache.open(EmbeddingCache.fileFor(w.resolve("cache"), rt), rt.dimension())) {
      return new Evaluator(rt, cache, cpu).evaluate(d, splits, Split.TEST, seed, Evaluator.Options.defaults(), ImportProgress.NONE);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Prints a run's progress now and then. */
  private record Printer(String name, PrintWriter o) implements FineTuneRunner.Listener {
    @Override
    public void stage(String stage, int totalSteps) {
      o.printf(Locale.ROOT, "[%s] %s (%d)%n", name, stage, totalSteps);
      o.flush();
    }

    @Override
    public void step(String stage, ImageTuner.StepLog s) {
      if (s.step() % 20 == 0 || s.step() == s.totalSteps()) {
        o.printf(Locale.ROOT, "[%s] %s step %d/%d loss %.4f%n", name, stage, s.step(), s.totalSteps(), s.loss());
        o.flush();
      }
    }

    @Override
    public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {
      o.printf(Locale.ROOT, "[%s] %s validation at %d: %s%s%n", name, stage, step, kpis, best ? " (best)" : "");
      o.flush();
    }
  }
}
