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
import dev.kagami.app.FineTuneService;
import dev.kagami.training.DefaultModelTraining;
import dev.kagami.training.FineTuneRunner;
import dev.kagami.training.PaperTable;
import dev.kagami.training.RunSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

  @Option(names = "--dataset", converter = DatasetSpec.Converter.class, description = "KIND:PATH of the PoC dataset instead "
      + "of OpenClipart's held-out part (as for evaluate; e.g. manifest:target/icons/manifest.jsonl from kagami icon-benchmark)")
  DatasetSpec dataset;

  @Option(names = "--class-disjoint", description = "split --dataset by class (test classes never trained on), not "
      + "stratified")
  boolean classDisjoint;

  @Option(names = "--split-seed", description = "the splits' seed, the same for every run (default: ${DEFAULT-VALUE})")
  long splitSeed = DefaultModelTraining.BENCHMARK_SPLIT_SEED;

  @Option(names = "--seeds", split = ",", description = "training seeds; each method runs once per seed (default: ${DEFAULT-VALUE})")
  List<Long> seeds = List.of(7L);

  @Option(names = "--epochs", description = "image stage epochs (default: ${DEFAULT-VALUE})")
  int epochs = 5;

  @Option(names = "--realign-epochs", description = "re-alignment epochs (default: ${DEFAULT-VALUE})")
  int realignEpochs = 5;

  @Option(names = "--lr", description = "image stage learning rate (default: ${DEFAULT-VALUE})")
  double lr = 1e-4;

  @Option(names = "--proxy-lr", description = "class proxies' learning rate (default: ${DEFAULT-VALUE})")
  double proxyLr = FineTuneService.DEFAULT_PROXY_LEARNING_RATE;

  @Option(names = "--realign-lr", description = "re-alignment learning rate (default: ${DEFAULT-VALUE})")
  double realignLr = 1e-4;

  @Option(names = "--trainable", description = "what the image stage trains: all, projection or last-blocks:N (default: "
      + "${DEFAULT-VALUE})")
  String trainable = "last-blocks:2";

  @Option(names = "--realign-trainable", description = "what re-alignment trains in the text tower (default: ${DEFAULT-VALUE})")
  String realignTrainable = "last-blocks:2";

  @Option(names = "--realign-warmup", description = "re-alignment warm-up steps (default: ${DEFAULT-VALUE})")
  int realignWarmup;

  @Option(names = "--validate-every", description = "steps between validations (0: the default, at least 10 a stage)")
  int validateEvery;

  @Option(names = "--patience", description = "validations without improvement before a stage stops (default: ${DEFAULT-VALUE})")
  int patience = 5;

  @Option(names = "--limit", description = "at most N images, evenly over classes (0 = all)")
  int limit;

  @Option(names = "--ablation", description = "with 2SFT among the methods: re-run its re-alignment (first seed, from the same "
      + "image stage) with other settings: projection only, all blocks, all blocks and embeddings, a tenth of the learning "
      + "rate, no warm-up")
  boolean ablation;

  @Option(names = "--tune-lr", split = ",", description = "image-stage learning rates to choose from on the validation split "
      + "(first seed, per method, by validation I2I mAP) before the test is opened; replaces --lr")
  List<Double> tuneLr = List.of();

  @Option(names = "--tune-realign-lr", split = ",", description = "re-alignment learning rates to choose from on the validation "
      + "split (first seed, per method, by validation T2I R@5, or zero-shot without captions); replaces --realign-lr")
  List<Double> tuneRealignLr = List.of();

  @Option(names = "--methods", split = ",", description = "methods to run: ${COMPLETION-CANDIDATES} (default: all)")
  List<RunSpec.Method> methods = List.of(RunSpec.Method.values());

  record Trainable(RunSpec.Trainable kind, int lastBlocks) {
    String words() {
      return kind == RunSpec.Trainable.LAST_BLOCKS ? "the last " + lastBlocks + " blocks + projection" : kind.name().toLowerCase(Locale.ROOT);
    }
  }

  private Trainable parse(String option, String value) {
    String[] t = value.split(":");
    try {
      return new Trainable(RunSpec.Trainable.valueOf(t[0].toUpperCase(Locale.ROOT).replace('-', '_')),
          t.length > 1 ? Integer.parseInt(t[1]) : 0);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + " must be all, projection or last-blocks:N, not '"
          + value + "'");
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    Trainable image = parse("--trainable", trainable);
    Trainable text = parse("--realign-trainable", realignTrainable);
    Parallel cpu = new ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Dataset poc;
    Map<String, Split> splits;
    String splitKind;
    String captions;
    if (dataset != null) {
      poc = dataset.load(new DatasetImporter(decoder, cpu), limit, splitSeed);
      splitKind = classDisjoint ? "class-disjoint" : "stratified";
      Splits.Fractions f = DefaultModelTraining.BENCHMARK_FRACTIONS;
      splits = classDisjoint ? Splits.classDisjoint(poc, splitSeed, f) : Splits.stratified(poc, splitSeed, f);
      captions = "the dataset's captions.";
    } else {
      Dataset all = new DatasetImporter(decoder, cpu).openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
      Map<String, Split> pretrain = Splits.stratified(all, DefaultModelTraining.SPLIT_SEED, DefaultModelTraining.FRACTIONS);
      List<DatasetItem> heldOut = all.items().stream().filter(it -> pretrain.get(it.id()) != Split.TRAIN).toList();
      if (limit > 0 && heldOut.size() > limit) {
        heldOut = Subsample.evenly(heldOut, limit, splitSeed);
      }
      poc = Dataset.of("openclipart-heldout", "openclipart:" + clipart + " (not in the default model's pretraining split)",
          heldOut, List.of());
      splits = Splits.stratified(poc, splitSeed, new Splits.Fractions(0.6, 0.2, 0.2));
      splitKind = "stratified";
      captions = "the file-name captions.";
    }
    Path basePath = base.toAbsolutePath();
    ModelPackage basePkg = new ModelPackageReader().read(basePath);
    o.printf(Locale.ROOT, "PoC dataset: %d images, %d classes (train %d, validation %d, test %d)%n", poc.items().size(),
        poc.classes().size(), Splits.select(poc, splits, Split.TRAIN).size(), Splits.select(poc, splits, Split.VALIDATION).size(),
        Splits.select(poc, splits, Split.TEST).size());

    Path w = work.toAbsolutePath();
    if (Files.exists(w)) {
      dev.kagami.finetune.PackageVersions.deleteTree(w);
    }
    Path repo = w.resolve("models");
    Files.createDirectories(repo);
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    Map<RunSpec.Method, Double> imageRates = new java.util.EnumMap<>(RunSpec.Method.class);
    Map<RunSpec.Method, Double> realignRates = new java.util.EnumMap<>(RunSpec.Method.class);
    for (RunSpec.Method m : RunSpec.Method.values()) {
      imageRates.put(m, lr);
      realignRates.put(m, realignLr);
    }
    rates = new Rates(imageRates, realignRates);
    String tuning = "";
    if (!tuneLr.isEmpty() || !tuneRealignLr.isEmpty()) { // on the validation split, before anything is evaluated on the test
      PaperTuning t = new PaperTuning(this, o, loader, decoder, cpu, basePkg, poc, splits, w, image, text, realignWarmup);
      tuning = t.choose(seeds.get(0), methods, tuneLr.isEmpty() ? List.of(lr) : tuneLr,
          tuneRealignLr.isEmpty() ? List.of(realignLr) : tuneRealignLr, rates);
    }
    EvaluationReport baseReport = evaluate(loader, basePath, poc, splits, w, cpu);
    List<PaperTable.MethodRuns> runs = new ArrayList<>();
    for (RunSpec.Method m : methods) {
      List<Run> done = new ArrayList<>();
      // 2SFT's image stage is GPR-FT's, MCIP + Re-A's is MCIP's: with the same seed the same computation, so it is
      // taken from that run when it ran (as the authors' 2SFT starts from their GPR-FT checkpoint)
      RunSpec.Method same = m == RunSpec.Method.TWO_SFT ? RunSpec.Method.GPR_FT : m == RunSpec.Method.MCIP_REA ? RunSpec.Method.MCIP
          : null;
      for (long seed : seeds) {
        Path reuse = same == null || !methods.contains(same) ? null
            : w.resolve("runs").resolve(same.name().toLowerCase(Locale.ROOT) + "-s" + seed).resolve(FineTuneRunner.IMAGE);
        done.add(run(o, loader, decoder, cpu, basePkg, poc, splits, w, m, seed, PaperTable.label(m), m.name().toLowerCase(Locale.ROOT)
            + "-s" + seed, image, text, rates.realign().get(m), realignWarmup, false, reuse));
      }
      runs.add(methodRuns(PaperTable.label(m), done));
    }
    List<PaperTable.MethodRuns> ablation = new ArrayList<>();
    if (this.ablation && methods.contains(RunSpec.Method.TWO_SFT)) {
      long seed = seeds.get(0);
      double realignLr = rates.realign().get(RunSpec.Method.TWO_SFT); // as run: --realign-lr or the tuned one
      Path imageStage = w.resolve("runs").resolve("two_sft-s" + seed).resolve(FineTuneRunner.IMAGE);
      record Variant(String label, Trainable text, double lr, int warmup, boolean embeddings) {}
      List<Variant> variants = List.of(new Variant("projection only", new Trainable(RunSpec.Trainable.PROJECTION, 0), realignLr,
          realignWarmup, false), new Variant("all blocks, embeddings frozen", new Trainable(RunSpec.Trainable.ALL, 0), realignLr,
          realignWarmup, false), new Variant("all blocks and embeddings", new Trainable(RunSpec.Trainable.ALL, 0), realignLr,
          realignWarmup, true), new Variant("learning rate / 10", text, realignLr / 10, realignWarmup, false),
          new Variant("no warm-up", text, realignLr, 0, false));
      ablation.add(new PaperTable.MethodRuns("2SFT as run (" + text.words() + ", lr " + realignLr + ", warm-up " + realignWarmup + ")",
          List.of(runs.get(methods.indexOf(RunSpec.Method.TWO_SFT)).reports().get(0)), List.of(),
          List.of(runs.get(methods.indexOf(RunSpec.Method.TWO_SFT)).bestSteps().get(0)), List.of()));
      for (int i = 0; i < variants.size(); i++) {
        Variant v = variants.get(i);
        Run r = run(o, loader, decoder, cpu, basePkg, poc, splits, w, RunSpec.Method.TWO_SFT, seed, "Re-A " + v.label(),
            "two_sft-ablation" + i + "-s" + seed, image, v.text(), v.lr(), v.warmup(), v.embeddings(), imageStage);
        ablation.add(methodRuns("2SFT, Re-A " + v.label(), List.of(r)));
      }
    }
    String settings = String.format(Locale.ROOT, "image stage: %s trained, %d epochs at lr %s, class proxies at lr %s, batch 32; "
        + "re-alignment: %s of the text tower (embeddings frozen) trained, %d epochs at lr %s, warm-up %d steps; validation %s, "
        + "early stopping after %d validations without improvement, best checkpoint by validation (image stage: I2I mAP; "
        + "re-alignment: T2I R@5 of the validation captions, or zero-shot when the captions only name classes).", image.words(), epochs,
        tuning.isEmpty() ? Double.toString(lr) : "chosen on validation (below)", proxyLr, text.words(), realignEpochs,
        tuning.isEmpty() ? Double.toString(realignLr) : "chosen on validation (below)", realignWarmup, validateEvery > 0 ? "every " + validateEvery + " steps"
            : "at least 10 times a stage", patience);
    String md = PaperTable.markdown(new PaperTable.Setup(KagamiCli.invocation(spec, "bin/kagami-paper-table"), basePkg, poc, splits,
        splitKind, seeds, settings, captions), baseReport, runs, ablation) + tuning;
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md, StandardCharsets.UTF_8);
    o.println(md);
    o.println("wrote " + out);
    return 0;
  }

  record Run(EvaluationReport report, double minutes, String bestSteps, String curve) {}

  /** The learning rates each method trains with: --lr and --realign-lr, or what the tuning chose. */
  record Rates(Map<RunSpec.Method, Double> image, Map<RunSpec.Method, Double> realign) {}

  private static PaperTable.MethodRuns methodRuns(String label, List<Run> runs) {
    return new PaperTable.MethodRuns(label, runs.stream().map(Run::report).toList(), runs.stream().map(Run::minutes).toList(),
        runs.stream().map(Run::bestSteps).toList(), runs.stream().map(Run::curve).toList());
  }

  /** One run to its evaluated result; {@code imageStage}: a finished image stage to start from (the ablation's). */
  private Run run(PrintWriter o, ModelLoader loader, ImageDecoder decoder, Parallel cpu, ModelPackage basePkg, Dataset poc,
      Map<String, Split> splits, Path w, RunSpec.Method m, long seed, String label, String version, Trainable image, Trainable text,
      double realignLr, int realignWarmup, boolean embeddings, Path imageStage) throws IOException {
    return run(o, loader, decoder, cpu, basePkg, poc, splits, w, m, seed, label, version, image, text, rates.image().get(m),
        realignLr, realignWarmup, embeddings, imageStage, Split.TEST);
  }

  private Rates rates;

  /** As above, with the image stage's learning rate and the split the result is evaluated on. */
  Run run(PrintWriter o, ModelLoader loader, ImageDecoder decoder, Parallel cpu, ModelPackage basePkg, Dataset poc,
      Map<String, Split> splits, Path w, RunSpec.Method m, long seed, String label, String version, Trainable image, Trainable text,
      double imageLr, double realignLr, int realignWarmup, boolean embeddings, Path imageStage, Split evaluated) throws IOException {
    RunSpec rs = new RunSpec(basePkg.manifest().name(), basePkg.manifest().version(), poc.name(), m, image.kind(),
        image.lastBlocks(), epochs, 32, imageLr, realignEpochs, realignLr, seed, validateEvery, patience, RunSpec.CaptionSource.DATASET,
        20, 0.27, 0, version, proxyLr, text.kind(), text.lastBlocks(), realignWarmup, embeddings);
    Path runDir = w.resolve("runs").resolve(version);
    if (imageStage != null) {
      copyTree(imageStage, runDir.resolve(FineTuneRunner.IMAGE));
    }
    PaperRunPrinter p = new PaperRunPrinter(label + " seed " + seed, o, new StringBuilder());
    long t0 = System.nanoTime();
    FineTuneRunner.Result r = new FineTuneRunner(decoder, w.resolve("models"), cpu).run(rs, basePkg, poc, splits, runDir, p,
        () -> false, Optional.empty());
    double minutes = (System.nanoTime() - t0) / 60e9;
    return new Run(evaluate(loader, w.resolve("models").resolve(r.resultModel()), poc, splits, w, cpu, evaluated), minutes,
        r.bestSteps().toString().replaceAll("[{}]", "").replace("=", " "), p.curve().toString().strip());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> all = Files.walk(from)) {
      for (Path f : all.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t);
        }
      }
    }
  }

  private EvaluationReport evaluate(ModelLoader loader, Path pkg, Dataset d, Map<String, Split> splits, Path w, Parallel cpu)
      throws IOException {
    return evaluate(loader, pkg, d, splits, w, cpu, Split.TEST);
  }

  EvaluationReport evaluate(ModelLoader loader, Path pkg, Dataset d, Map<String, Split> splits, Path w, Parallel cpu, Split split)
      throws IOException {
    try (ModelRuntime rt = loader.load(pkg, ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME));
        EmbeddingCache cache = EmbeddingCache.open(EmbeddingCache.fileFor(w.resolve("cache"), rt), rt.dimension())) {
      return new Evaluator(rt, cache, cpu).evaluate(d, splits, split, splitSeed, Evaluator.Options.defaults(),
          ImportProgress.NONE);
    }
  }

}
