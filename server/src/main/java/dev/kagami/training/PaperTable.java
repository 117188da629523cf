package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.evaluation.ClassBootstrap;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.ReportComparison;
import dev.kagami.model.ModelPackage;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The paper's comparison as a Markdown page: base, GPR-FT, 2SFT, MCIP and MCIP + Re-A on one PoC test
 * split, each method run with several seeds: the mean and standard deviation over seeds, each method's
 * change against the base with a paired 95% bootstrap interval resampled by class (per query and class-
 * balanced), the validation curves, and the paper's claims checked against the intervals (nothing in the
 * verdicts is typed by hand). Written by {@code kagami paper-table} ({@code bin/kagami-paper-table}).
 */
public final class PaperTable {

  /** One method's runs, one per seed, in seed order. */
  public record MethodRuns(String label, List<EvaluationReport> reports, List<Double> minutes, List<String> bestSteps,
      List<String> curve) {}

  /** How the runs were set up, in words for the page. */
  public record Setup(String invocation, ModelPackage base, Dataset poc, Map<String, Split> splits, String splitKind,
      List<Long> seeds, String settings, String captions) {}

  /** A KPI of the table: its column name, the summary value, the per-class value (null: no interval). */
  record Kpi(String name, Function<EvaluationReport.Summary, Double> summary, Function<EvaluationReport.ClassRow, Double> perClass) {}

  static final List<Kpi> KPIS = List.of(
      new Kpi("I2I mAP", EvaluationReport.Summary::i2iMap, EvaluationReport.ClassRow::i2iMap),
      new Kpi("I2I R@1", EvaluationReport.Summary::i2iRecallAt1, EvaluationReport.ClassRow::i2iRecallAt1),
      new Kpi("k-NN acc", EvaluationReport.Summary::knnAccuracy, EvaluationReport.ClassRow::knnAccuracy),
      new Kpi("Zero-shot acc", EvaluationReport.Summary::zeroShotAccuracy, EvaluationReport.ClassRow::zeroShotAccuracy),
      new Kpi("T2I R@5", EvaluationReport.Summary::t2iRecallAt5, EvaluationReport.ClassRow::t2iRecallAt5));

  private PaperTable() {}

  public static String label(RunSpec.Method m) {
    return switch (m) {
      case GPR_FT -> "GPR-FT";
      case TWO_SFT -> "2SFT";
      case MCIP -> "MCIP";
      case MCIP_REA -> "MCIP + Re-A";
    };
  }

  public static String markdown(Setup setup, EvaluationReport base, List<MethodRuns> runs, List<MethodRuns> ablation) {
    StringBuilder s = new StringBuilder();
    boolean all = runs.stream().map(MethodRuns::label).toList().containsAll(List.of("GPR-FT", "2SFT", "MCIP", "MCIP + Re-A"));
    s.append(all ? "# The paper's effect, reproduced by Kagami\n\n" : "# Fine-tuning PoC runs\n\n");
    s.append(String.format(Locale.ROOT, "Written by `%s` on %s. Nothing below is typed by hand: the verdicts under \"What "
        + "reproduced\" are computed from the intervals by the command.%n%n", setup.invocation(), LocalDate.now(ZoneOffset.UTC)));
    Dataset poc = setup.poc();
    s.append(String.format(Locale.ROOT, "- Base model: `%s` (%s)%n", setup.base().id(), setup.base().manifest().description()));
    s.append(String.format(Locale.ROOT, "- PoC dataset: %s: %d images, %d classes, %s splits; train %d, validation %d (checkpoint "
        + "selection), test %d (the tables).%n", poc.source(), poc.items().size(), poc.classes().size(), setup.splitKind(),
        Splits.select(poc, setup.splits(), Split.TRAIN).size(), Splits.select(poc, setup.splits(), Split.VALIDATION).size(),
        Splits.select(poc, setup.splits(), Split.TEST).size()));
    s.append("- Every run: ").append(setup.settings()).append(" Captions: ").append(setup.captions()).append('\n');
    s.append(String.format(Locale.ROOT, "- Seeds %s (training order, augmentation, caption draws; the splits stay the same, so "
        + "every seed is paired with the one base evaluation).%n%n", setup.seeds()));

    s.append("## Mean ± sd over seeds\n\n| Method |");
    KPIS.forEach(k -> s.append(' ').append(k.name()).append(" |"));
    s.append(" I2I mAP (class-balanced) | zero-shot (class-balanced) | classes worse than base (I2I mAP, mean) | best steps | minutes |\n|---|");
    KPIS.forEach(k -> s.append("---:|"));
    s.append("---:|---:|---:|---|---:|\n");
    // with class-disjoint splits no test class has training images to vote: k-NN is not measured there
    boolean disjoint = setup.splitKind().equals("class-disjoint");
    java.util.function.BiFunction<Kpi, String, String> shown = (k, v) -> disjoint && k.name().equals("k-NN acc") ? "n/a" : v;
    s.append("| base |");
    KPIS.forEach(k -> s.append(' ').append(shown.apply(k, f(k.summary().apply(base.summary())))).append(" |"));
    s.append(' ').append(f(balanced(base, EvaluationReport.ClassRow::i2iMap))).append(" | ")
        .append(f(balanced(base, EvaluationReport.ClassRow::zeroShotAccuracy))).append(" | | | |\n");
    for (MethodRuns m : runs) {
      s.append("| ").append(m.label()).append(" |");
      KPIS.forEach(k -> s.append(' ').append(shown.apply(k, meanSd(m.reports().stream().map(r -> k.summary().apply(r.summary()))
          .toList()))).append(" |"));
      s.append(' ').append(meanSd(m.reports().stream().map(r -> balanced(r, EvaluationReport.ClassRow::i2iMap)).toList())).append(" | ")
          .append(meanSd(m.reports().stream().map(r -> balanced(r, EvaluationReport.ClassRow::zeroShotAccuracy)).toList()))
          .append(" | ").append(String.format(Locale.ROOT, "%.1f", m.reports().stream().mapToLong(r -> worseClasses(base, r)).average()
              .orElse(Double.NaN))).append(" | ").append(String.join("; ", m.bestSteps())).append(" | ")
          .append(String.format(Locale.ROOT, "%.1f", m.minutes().stream().mapToDouble(Double::doubleValue).sum())).append(" |\n");
    }
    s.append("\nBest steps: each seed's best step by validation per stage (0: no step beat the starting weights, which the "
        + "stage then handed on). Minutes: all seeds together. 2SFT's image stage is GPR-FT's of the same seed and MCIP + Re-A's "
        + "is MCIP's (the same computation, run once), so their minutes are those of re-alignment and evaluation.\n\n");

    s.append("## Change against the base, with 95% intervals\n\nThe mean over seeds of each class's change, averaged over "
        + "test queries (per query) or over classes (class-balanced); the interval is a paired bootstrap that resamples classes ("
        + ClassBootstrap.RESAMPLES + " resamples, fixed seed).\n\n| Method | KPI | per query | class-balanced |\n|---|---|---:|---:|\n");
    for (MethodRuns m : runs) {
      for (Kpi k : KPIS) {
        ClassBootstrap.Interval q = ClassBootstrap.meanChange(base, m.reports(), k.perClass(), false);
        ClassBootstrap.Interval c = ClassBootstrap.meanChange(base, m.reports(), k.perClass(), true);
        if (q != null && !(disjoint && k.name().equals("k-NN acc"))) {
          s.append("| ").append(m.label()).append(" | ").append(k.name()).append(" | ").append(ci(q)).append(" | ").append(ci(c))
              .append(" |\n");
        }
      }
    }
    s.append("\nKPIs as in `docs/eval`: I2I mAP over the full ranking of the test split; k-NN with k = 21 and votes exp(sim/0.1) "
        + "against the train split (with class-disjoint splits no test class is in the train split, so k-NN is not meaningful "
        + "there); zero-shot with OpenAI's 80 templates over all classes; T2I: each test image's own captions query the test "
        + "images, recall@5 of the captioned image (ties ranked pessimistically).\n\n");

    if (!ablation.isEmpty()) {
      s.append(ablation(base, runs, ablation));
    }
    s.append("## Validation curves (first seed)\n\n");
    for (MethodRuns m : runs) {
      s.append("- ").append(m.label()).append(": ").append(m.curve().isEmpty() ? "" : m.curve().get(0)).append('\n');
    }
    s.append('\n');
    if (all) {
      s.append("## What reproduced\n\n").append(PaperVerdicts.verdicts(base, runs));
    } else {
      s.append("Only some of the methods ran (`--methods`), so the paper's claims are not checked here.\n");
    }
    return s.toString();
  }

  /** The Re-A ablation: one seed, each variant from the same image stage; the text side against GPR-FT's of that seed. */
  private static String ablation(EvaluationReport base, List<MethodRuns> runs, List<MethodRuns> ablation) {
    StringBuilder s = new StringBuilder("## Ablation of re-alignment (first seed, one image stage)\n\nEach row re-aligns the "
        + "text tower from the same tuned image tower; the changes are against that image tower with the base text tower "
        + "(GPR-FT of the same seed), with 95% class-bootstrap intervals.\n\n| Re-A | I2I mAP | Zero-shot acc | T2I R@5 | "
        + "zero-shot vs GPR-FT | T2I R@5 vs GPR-FT | best steps |\n|---|---:|---:|---:|---:|---:|---|\n");
    List<EvaluationReport> gpr = runs.stream().filter(m -> m.label().equals("GPR-FT")).findFirst()
        .map(m -> List.of(m.reports().get(0))).orElse(null);
    for (MethodRuns m : ablation) {
      EvaluationReport r = m.reports().get(0);
      s.append("| ").append(m.label()).append(" | ").append(f(r.summary().i2iMap())).append(" | ")
          .append(f(r.summary().zeroShotAccuracy())).append(" | ").append(f(r.summary().t2iRecallAt5())).append(" | ")
          .append(gpr == null ? "n/a" : ci(ClassBootstrap.pairedChange(gpr, List.of(r), EvaluationReport.ClassRow::zeroShotAccuracy,
              false))).append(" | ")
          .append(gpr == null ? "n/a" : ci(ClassBootstrap.pairedChange(gpr, List.of(r), EvaluationReport.ClassRow::t2iRecallAt5,
              false))).append(" | ").append(m.bestSteps().isEmpty() ? "" : m.bestSteps().get(0)).append(" |\n");
    }
    return s.append('\n').toString();
  }

  /** The mean of a KPI over classes (each class once). */
  static Double balanced(EvaluationReport r, Function<EvaluationReport.ClassRow, Double> kpi) {
    java.util.OptionalDouble mean = r.perClass().stream().map(kpi).filter(v -> v != null && !v.isNaN())
        .mapToDouble(Double::doubleValue).average();
    return mean.isPresent() ? mean.getAsDouble() : null;
  }

  static long worseClasses(EvaluationReport base, EvaluationReport r) {
    ReportComparison c = ReportComparison.of(base, r);
    return c.classes().stream().filter(cd -> cd.kpis().stream()
        .anyMatch(d -> d.kpi().equals("I2I mAP") && d.change() != null && d.change() < -0.005)).count();
  }

  static String meanSd(List<Double> values) {
    List<Double> v = values.stream().filter(x -> x != null && !x.isNaN()).toList();
    if (v.isEmpty()) {
      return "n/a";
    }
    double mean = v.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    if (v.size() == 1) {
      return f(mean);
    }
    double sd = Math.sqrt(v.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum() / (v.size() - 1));
    return f(mean) + " ± " + f(sd);
  }

  static String ci(ClassBootstrap.Interval i) {
    return i == null ? "n/a" : String.format(Locale.ROOT, "%+.3f [%+.3f, %+.3f]", i.change(), i.low(), i.high());
  }

  static String f(Double v) {
    return v == null || v.isNaN() ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
  }
}
