package dev.kagami.training;

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
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.evaluation.ReportWriter;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.ImageLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The paper's comparison run by Kagami: base, GPR-FT, 2SFT, MCIP and MCIP + Re-A fine-tuned from one base
 * model on one PoC dataset, each evaluated on the PoC test split, written as a Markdown table.
 *
 * <p>The PoC dataset is the part of OpenClipart that Kagami's default model never saw: the validation and
 * test splits of its pretraining split (seed 42, 80/10/10), split again 60/20/20 for the runs. Captions
 * (for MCIP and Re-A) come from the file names.
 *
 * <pre>
 * bin/kagami-paper-table [--base models/kagami-clip/1] [--openclipart DIR] [--out docs/paper-effect.md]
 *     [--epochs 5] [--realign-epochs 5] [--lr 1e-4] [--realign-lr 1e-4] [--trainable last-blocks:2] [--seed 7]
 *     [--limit N] [--methods GPR_FT,TWO_SFT,MCIP,MCIP_REA]
 * </pre>
 *
 * <p>With {@code --limit} and {@code --methods} it is also the PoC timing check: one real run (preparation,
 * training with validation, the tuned package with its ONNX parity check, evaluation) on N images.
 */
public final class PaperTableCommand {

  private PaperTableCommand() {}

  public static void main(String[] argv) throws Exception {
    dev.kagami.concurrent.Parallel cpu = new dev.kagami.concurrent.ThreadPools().parallel("cli",
        Runtime.getRuntime().availableProcessors());
    Map<String, String> a = new java.util.HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    }
    Path basePath = Path.of(a.getOrDefault("base", "models/kagami-clip/1")).toAbsolutePath();
    Path clipart = Path.of(a.getOrDefault("openclipart", "/usr/share/openclipart/png"));
    Path out = Path.of(a.getOrDefault("out", "docs/paper-effect.md"));
    Path work = Path.of(a.getOrDefault("work", "server/target/paper-effect")).toAbsolutePath();
    long seed = Long.parseLong(a.getOrDefault("seed", "7"));
    int epochs = Integer.parseInt(a.getOrDefault("epochs", "5"));
    int realignEpochs = Integer.parseInt(a.getOrDefault("realign-epochs", "5"));
    double lr = Double.parseDouble(a.getOrDefault("lr", "1e-4"));
    double realignLr = Double.parseDouble(a.getOrDefault("realign-lr", "1e-4"));
    String[] trainable = a.getOrDefault("trainable", "last-blocks:2").split(":");
    RunSpec.Trainable tr = RunSpec.Trainable.valueOf(trainable[0].toUpperCase(Locale.ROOT).replace('-', '_'));
    int lastBlocks = trainable.length > 1 ? Integer.parseInt(trainable[1]) : 0;
    int limit = Integer.parseInt(a.getOrDefault("limit", "0"));
    List<RunSpec.Method> methods = a.containsKey("methods")
        ? java.util.Arrays.stream(a.get("methods").split(",")).map(m -> RunSpec.Method.valueOf(m.trim().toUpperCase(Locale.ROOT)))
            .toList()
        : List.of(RunSpec.Method.values());

    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    Dataset all = new DatasetImporter(decoder, cpu).openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
    Map<String, Split> pretrain = Splits.stratified(all, TrainDefaultCommand.SPLIT_SEED, TrainDefaultCommand.FRACTIONS);
    List<DatasetItem> heldOut = all.items().stream().filter(it -> pretrain.get(it.id()) != Split.TRAIN).toList();
    if (limit > 0 && heldOut.size() > limit) {
      heldOut = Subsample.evenly(heldOut, limit, seed);
    }
    Dataset poc = Dataset.of("openclipart-heldout", "openclipart:" + clipart + " (not in the default model's pretraining split)",
        heldOut, List.of());
    Map<String, Split> splits = Splits.stratified(poc, seed, new Splits.Fractions(0.6, 0.2, 0.2));
    ModelPackage base = new ModelPackageReader().read(basePath);
    System.out.printf(Locale.ROOT, "PoC dataset: %d images, %d classes (train %d, validation %d, test %d)%n", poc.items().size(),
        poc.classes().size(), Splits.select(poc, splits, Split.TRAIN).size(), Splits.select(poc, splits, Split.VALIDATION).size(),
        Splits.select(poc, splits, Split.TEST).size());

    deleteTree(work);
    Path repo = work.resolve("models");
    Files.createDirectories(repo);
    ModelLoader loader = new ModelLoader(new EngineFactory(), decoder);
    Map<String, EvaluationReport> reports = new LinkedHashMap<>();
    Map<String, Double> minutes = new LinkedHashMap<>();
    Map<String, String> best = new LinkedHashMap<>();
    reports.put("base", evaluate(loader, basePath, poc, splits, seed, work, cpu));
    for (RunSpec.Method m : methods) {
      RunSpec spec = new RunSpec(base.manifest().name(), base.manifest().version(), poc.name(), m, tr, lastBlocks, epochs, 32, lr,
          realignEpochs, realignLr, seed, 0, 3, RunSpec.CaptionSource.DATASET, 20, 0.27, 0, m.name().toLowerCase(Locale.ROOT));
      long t0 = System.nanoTime();
      FineTuneRunner.Result r = new FineTuneRunner(decoder, repo, cpu).run(spec, base, poc, splits, work.resolve("runs").resolve(m.name()),
          new Printer(m.name()), () -> false, Optional.empty());
      minutes.put(label(m), (System.nanoTime() - t0) / 60e9);
      best.put(label(m), r.bestSteps().toString().replaceAll("[{}]", "").replace("=", " "));
      reports.put(label(m), evaluate(loader, repo.resolve(r.resultModel()), poc, splits, seed, work, cpu));
    }
    String md = table(a, argv, base, poc, splits, reports, minutes, best, epochs, realignEpochs, lr, realignLr, tr, lastBlocks, seed);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, md, StandardCharsets.UTF_8);
    System.out.println(md);
    System.out.println("wrote " + out);
  }

  static String label(RunSpec.Method m) {
    return switch (m) {
      case GPR_FT -> "GPR-FT";
      case TWO_SFT -> "2SFT";
      case MCIP -> "MCIP";
      case MCIP_REA -> "MCIP + Re-A";
    };
  }

  private static EvaluationReport evaluate(ModelLoader loader, Path pkg, Dataset d, Map<String, Split> splits, long seed, Path work,
      dev.kagami.concurrent.Parallel cpu)
      throws IOException {
    try (ModelRuntime rt = loader.load(pkg, ModelLoader.Settings.forTool(EngineKind.ONNXRUNTIME));
        EmbeddingCache cache = EmbeddingCache.open(EmbeddingCache.fileFor(work.resolve("cache"), rt), rt.dimension())) {
      return new Evaluator(rt, cache, cpu).evaluate(d, splits, Split.TEST, seed, Evaluator.Options.defaults(), ImportProgress.NONE);
    }
  }

  private static String table(Map<String, String> a, String[] argv, ModelPackage base, Dataset poc, Map<String, Split> splits,
      Map<String, EvaluationReport> reports, Map<String, Double> minutes, Map<String, String> best, int epochs, int realignEpochs, double lr, double realignLr,
      RunSpec.Trainable tr, int lastBlocks, long seed) {
    StringBuilder s = new StringBuilder();
    boolean all = reports.keySet().containsAll(List.of("GPR-FT", "2SFT", "MCIP", "MCIP + Re-A"));
    s.append(all ? "# The paper's effect, reproduced by Kagami\n\n" : "# Fine-tuning PoC runs\n\n");
    s.append(String.format(Locale.ROOT, "Written by `bin/kagami-paper-table%s` on %s. Nothing below is typed by hand: the "
        + "verdicts under \"What reproduced\" are computed from the table by the command.%n%n",
        argv.length == 0 ? "" : " " + String.join(" ", argv), LocalDate.now(ZoneOffset.UTC)));
    s.append(String.format(Locale.ROOT, "- Base model: `%s` (%s)%n", base.id(), base.manifest().description()));
    s.append(String.format(Locale.ROOT, "- PoC dataset: %s: %d images, %d classes; train %d, validation %d (checkpoint "
        + "selection), test %d (the table).%n", poc.source(), poc.items().size(), poc.classes().size(),
        Splits.select(poc, splits, Split.TRAIN).size(), Splits.select(poc, splits, Split.VALIDATION).size(),
        Splits.select(poc, splits, Split.TEST).size()));
    s.append(String.format(Locale.ROOT, "- Every run: %s%s trained, image stage %d epochs at lr %s (class proxies 100x), batch 32, "
        + "re-alignment %d epochs at lr %s, seed %d, validation once per epoch, early stopping after 3 validations without "
        + "improvement, best checkpoint by validation. MCIP captions: the file-name captions.%n%n", tr,
        tr == RunSpec.Trainable.LAST_BLOCKS ? " (" + lastBlocks + " blocks + projection)" : "", epochs, lr, realignEpochs,
        realignLr, seed));
    s.append("| Method | I2I mAP | I2I R@1 | k-NN acc | Zero-shot acc | T2I R@5 | classes worse than base (I2I mAP) | best step by validation | minutes |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
    EvaluationReport b = reports.get("base");
    for (Map.Entry<String, EvaluationReport> e : reports.entrySet()) {
      EvaluationReport.Summary x = e.getValue().summary();
      String worse = e.getKey().equals("base") ? "" : Long.toString(worseClasses(b, e.getValue()));
      String min = minutes.containsKey(e.getKey()) ? String.format(Locale.ROOT, "%.1f", minutes.get(e.getKey())) : "";
      s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", e.getKey(), f(x.i2iMap()),
          f(x.i2iRecallAt1()), f(x.knnAccuracy()), f(x.zeroShotAccuracy()), f(x.t2iRecallAt5()), worse,
          best.getOrDefault(e.getKey(), ""), min));
    }
    s.append("\nA best step of 0 means no step beat the starting weights on validation, so that stage handed on its "
        + "starting weights unchanged.\n");
    s.append("\nKPIs as in `docs/eval` (I2I mAP over the full ranking; k-NN with k = 21, votes exp(sim/0.1); zero-shot with "
        + "OpenAI's 80 templates; T2I one query per class from its prompts).\n\n");
    if (all) {
      s.append("## What reproduced\n\n");
      s.append(verdicts(reports));
    } else {
      s.append("Only some of the methods ran (`--methods`), so the paper's claims are not checked here.\n");
    }
    return s.toString();
  }

  private static long worseClasses(EvaluationReport base, EvaluationReport r) {
    ReportComparison c = ReportComparison.of(base, r);
    return c.classes().stream().filter(cd -> cd.kpis().stream()
        .anyMatch(d -> d.kpi().equals("I2I mAP") && d.change() != null && d.change() < -0.005)).count();
  }

  /**
   * The paper's claims, each checked against the table: GPR-FT raises image retrieval and breaks the text
   * side; re-alignment restores it; MCIP keeps the text side without re-alignment while raising retrieval.
   */
  static String verdicts(Map<String, EvaluationReport> r) {
    EvaluationReport.Summary base = r.get("base").summary();
    EvaluationReport.Summary gpr = r.get("GPR-FT").summary();
    EvaluationReport.Summary sft = r.get("2SFT").summary();
    EvaluationReport.Summary mcip = r.get("MCIP").summary();
    EvaluationReport.Summary rea = r.get("MCIP + Re-A").summary();
    List<String> out = new ArrayList<>();
    out.add(claim("GPR-FT improves image-to-image retrieval over the base", gpr.i2iMap() > base.i2iMap(),
        "I2I mAP " + f(base.i2iMap()) + " -> " + f(gpr.i2iMap())));
    out.add(claim("GPR-FT degrades the text side (zero-shot or T2I R@5 falls)",
        gpr.zeroShotAccuracy() < base.zeroShotAccuracy() || gpr.t2iRecallAt5() < base.t2iRecallAt5(),
        "zero-shot " + f(base.zeroShotAccuracy()) + " -> " + f(gpr.zeroShotAccuracy()) + ", T2I R@5 " + f(base.t2iRecallAt5())
            + " -> " + f(gpr.t2iRecallAt5())));
    out.add(claim("2SFT's re-alignment recovers the text side lost by GPR-FT",
        sft.zeroShotAccuracy() > gpr.zeroShotAccuracy() || sft.t2iRecallAt5() > gpr.t2iRecallAt5(),
        "zero-shot " + f(gpr.zeroShotAccuracy()) + " -> " + f(sft.zeroShotAccuracy()) + ", T2I R@5 " + f(gpr.t2iRecallAt5())
            + " -> " + f(sft.t2iRecallAt5())));
    out.add(claim("MCIP improves image-to-image retrieval over the base", mcip.i2iMap() > base.i2iMap(),
        "I2I mAP " + f(base.i2iMap()) + " -> " + f(mcip.i2iMap())));
    out.add(claim("MCIP keeps the text side better than GPR-FT without re-alignment",
        mcip.zeroShotAccuracy() + mcip.t2iRecallAt5() > gpr.zeroShotAccuracy() + gpr.t2iRecallAt5(),
        "zero-shot + T2I R@5: GPR-FT " + f(gpr.zeroShotAccuracy() + gpr.t2iRecallAt5()) + ", MCIP "
            + f(mcip.zeroShotAccuracy() + mcip.t2iRecallAt5())));
    out.add(claim("MCIP + Re-A is at least as good as MCIP on the text side",
        rea.zeroShotAccuracy() + rea.t2iRecallAt5() >= mcip.zeroShotAccuracy() + mcip.t2iRecallAt5(),
        "zero-shot + T2I R@5: MCIP " + f(mcip.zeroShotAccuracy() + mcip.t2iRecallAt5()) + ", MCIP + Re-A "
            + f(rea.zeroShotAccuracy() + rea.t2iRecallAt5())));
    return String.join("\n", out) + "\n";
  }

  private static String claim(String what, boolean held, String evidence) {
    return "- " + (held ? "Reproduced" : "**Not reproduced**") + ": " + what + " (" + evidence + ").";
  }

  private static String f(Double v) {
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
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
  private record Printer(String name) implements FineTuneRunner.Listener {
    @Override
    public void stage(String stage, int totalSteps) {
      System.out.printf(Locale.ROOT, "[%s] %s (%d)%n", name, stage, totalSteps);
    }

    @Override
    public void step(String stage, dev.kagami.finetune.ImageTuner.StepLog s) {
      if (s.step() % 20 == 0 || s.step() == s.totalSteps()) {
        System.out.printf(Locale.ROOT, "[%s] %s step %d/%d loss %.4f%n", name, stage, s.step(), s.totalSteps(), s.loss());
      }
    }

    @Override
    public void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best) {
      System.out.printf(Locale.ROOT, "[%s] %s validation at %d: %s%s%n", name, stage, step, kpis, best ? " (best)" : "");
    }
  }
}
