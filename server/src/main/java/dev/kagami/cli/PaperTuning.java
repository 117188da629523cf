package dev.kagami.cli;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.Split;
import dev.kagami.embedding.ModelLoader;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.model.ModelPackage;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.training.FineTuneRunner;
import dev.kagami.training.RunSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper table's hyperparameters chosen on the validation split only, before anything is evaluated on
 * the test split: with the first seed, each image-stage learning rate trains GPR-FT and MCIP and the one
 * with the best validation I2I mAP is kept per method; then, from that image stage, each re-alignment
 * learning rate trains 2SFT's and MCIP + Re-A's re-alignment and the one with the best validation T2I R@5
 * (zero-shot accuracy when the validation images have no captions) is kept. Writes what it tried as a
 * Markdown section for the page.
 */
final class PaperTuning {

  private final PaperTableCli cli;
  private final PrintWriter o;
  private final ModelLoader loader;
  private final ImageDecoder decoder;
  private final dev.kagami.concurrent.Parallel cpu;
  private final ModelPackage base;
  private final Dataset poc;
  private final Map<String, Split> splits;
  private final Path work;
  private final PaperTableCli.Trainable image;
  private final PaperTableCli.Trainable text;
  private final int warmup;

  PaperTuning(PaperTableCli cli, PrintWriter o, ModelLoader loader, ImageDecoder decoder, dev.kagami.concurrent.Parallel cpu,
      ModelPackage base, Dataset poc, Map<String, Split> splits, Path work, PaperTableCli.Trainable image, PaperTableCli.Trainable text,
      int warmup) {
    this.cli = cli;
    this.o = o;
    this.loader = loader;
    this.decoder = decoder;
    this.cpu = cpu;
    this.base = base;
    this.poc = poc;
    this.splits = splits;
    this.work = work;
    this.image = image;
    this.text = text;
    this.warmup = warmup;
  }

  /** Puts the chosen rates into {@code rates} and returns the page's section on how they were chosen. */
  String choose(long seed, List<RunSpec.Method> methods, List<Double> imageLrs, List<Double> realignLrs, PaperTableCli.Rates rates)
      throws IOException {
    StringBuilder md = new StringBuilder("\n## How the learning rates were chosen\n\nOn the validation split only, before the test split "
        + "was evaluated (the tables above come after): seed " + seed + ", the settings above otherwise. Image stage: each rate "
        + "trains the method's image stage, the best validation I2I mAP wins; re-alignment: each rate re-aligns from the chosen "
        + "image stage, the best validation T2I R@5 (zero-shot accuracy where the validation images have no captions) wins.\n\n"
        + "| method | stage | learning rate | validation I2I mAP | validation T2I R@5 | validation zero-shot | chosen |\n"
        + "|---|---|---|---|---|---|---|\n");
    EvaluationReport baseVal = cli.evaluate(loader, base.directory(), poc, splits, work, cpu, Split.VALIDATION);
    boolean captions = baseVal.summary().t2iRecallAt5() != null && !Double.isNaN(baseVal.summary().t2iRecallAt5());
    md.append(row("base", "", Double.NaN, baseVal, false));
    for (RunSpec.Method stageOf : List.of(RunSpec.Method.GPR_FT, RunSpec.Method.MCIP)) {
      RunSpec.Method realigned = stageOf == RunSpec.Method.GPR_FT ? RunSpec.Method.TWO_SFT : RunSpec.Method.MCIP_REA;
      if (!methods.contains(stageOf) && !methods.contains(realigned)) {
        continue;
      }
      List<EvaluationReport> reports = new ArrayList<>();
      List<Path> stages = new ArrayList<>();
      int best = 0;
      for (int i = 0; i < imageLrs.size(); i++) {
        String version = "tune-" + stageOf.name().toLowerCase(Locale.ROOT) + "-lr" + i;
        reports.add(cli.run(o, loader, decoder, cpu, base, poc, splits, work, stageOf, seed, "tune " + stageOf + " lr " + imageLrs.get(i),
            version, image, text, imageLrs.get(i), rates.realign().get(stageOf), warmup, false, null, Split.VALIDATION).report());
        stages.add(work.resolve("runs").resolve(version).resolve(FineTuneRunner.IMAGE));
        if (reports.get(i).summary().i2iMap() > reports.get(best).summary().i2iMap()) {
          best = i;
        }
      }
      for (int i = 0; i < imageLrs.size(); i++) {
        md.append(row(stageOf.name(), "image", imageLrs.get(i), reports.get(i), i == best));
      }
      rates.image().put(stageOf, imageLrs.get(best));
      rates.image().put(realigned, imageLrs.get(best)); // 2SFT / MCIP + Re-A start from that image stage
      if (!methods.contains(realigned)) {
        continue;
      }
      List<EvaluationReport> re = new ArrayList<>();
      int bestRe = 0;
      for (int i = 0; i < realignLrs.size(); i++) {
        String version = "tune-" + realigned.name().toLowerCase(Locale.ROOT) + "-lr" + i;
        re.add(cli.run(o, loader, decoder, cpu, base, poc, splits, work, realigned, seed, "tune " + realigned + " re-align lr "
            + realignLrs.get(i), version, image, text, imageLrs.get(best), realignLrs.get(i), warmup, false, stages.get(best),
            Split.VALIDATION).report());
        if (textKpi(re.get(i), captions) > textKpi(re.get(bestRe), captions)) {
          bestRe = i;
        }
      }
      for (int i = 0; i < realignLrs.size(); i++) {
        md.append(row(realigned.name(), "re-alignment", realignLrs.get(i), re.get(i), i == bestRe));
      }
      rates.realign().put(realigned, realignLrs.get(bestRe));
    }
    md.append("\nChosen: image stage ").append(rates.image()).append("; re-alignment ").append(rates.realign()).append(".\n");
    return md.toString();
  }

  private static double textKpi(EvaluationReport r, boolean captions) {
    Double v = captions ? r.summary().t2iRecallAt5() : r.summary().zeroShotAccuracy();
    return v == null ? Double.NaN : v;
  }

  private static String row(String method, String stage, double lr, EvaluationReport r, boolean chosen) {
    return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", method, stage, Double.isNaN(lr) ? "" : Double.toString(lr),
        pct(r.summary().i2iMap()), pct(r.summary().t2iRecallAt5()), pct(r.summary().zeroShotAccuracy()), chosen ? "yes" : "");
  }

  private static String pct(Double v) {
    return v == null || Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", 100 * v);
  }
}
