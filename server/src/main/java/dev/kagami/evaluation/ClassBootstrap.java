package dev.kagami.evaluation;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Uncertainty of a KPI change between two reports of one dataset and split, from their per-class values: a
 * cluster bootstrap that resamples classes with replacement and recomputes the image-weighted mean change
 * (classes are the units a retailer's catalogue varies by; images of one class are not independent). The
 * interval is the 2.5th to 97.5th percentile of {@link #RESAMPLES} resamples with a fixed seed, so the same
 * reports always give the same interval.
 */
public final class ClassBootstrap {

  public static final int RESAMPLES = 2000;
  static final long SEED = 20240521L;

  /** The image-weighted mean change and its 95% interval; null when fewer than two classes have both values. */
  public record Interval(double change, double low, double high, int classes) {}

  private ClassBootstrap() {}

  public static Interval change(EvaluationReport before, EvaluationReport after,
      Function<EvaluationReport.ClassRow, Double> kpi) {
    return meanChange(before, List.of(after), kpi, false);
  }

  /**
   * The paired change of several runs (seeds) of one method against one base, from their per-class values:
   * each class's change is its mean over the runs (a class some run lacks is left out), and the classes are
   * resampled as in {@link #change}. {@code classBalanced}: every class weighs the same (the mean over
   * classes) instead of by its images (the mean over queries).
   */
  public static Interval meanChange(EvaluationReport before, List<EvaluationReport> runs,
      Function<EvaluationReport.ClassRow, Double> kpi, boolean classBalanced) {
    return pairedChange(java.util.Collections.nCopies(runs.size(), before), runs, kpi, classBalanced);
  }

  /**
   * As {@link #meanChange}, with a before report per run: run {@code i} of {@code after} is compared with
   * {@code before.get(i)} (two methods run with the same seeds, seed by seed).
   */
  public static Interval pairedChange(List<EvaluationReport> before, List<EvaluationReport> after,
      Function<EvaluationReport.ClassRow, Double> kpi, boolean classBalanced) {
    if (before.size() != after.size() || after.isEmpty()) {
      throw new IllegalArgumentException(before.size() + " before reports for " + after.size() + " after");
    }
    List<java.util.Map<String, EvaluationReport.ClassRow>> b = byLabel(before);
    List<java.util.Map<String, EvaluationReport.ClassRow>> a = byLabel(after);
    List<double[]> rows = new java.util.ArrayList<>(); // {weight, change}
    for (EvaluationReport.ClassRow first : before.get(0).perClass()) {
      if (first.images() == 0) {
        continue;
      }
      double sum = 0;
      boolean all = true;
      for (int i = 0; i < a.size() && all; i++) {
        EvaluationReport.ClassRow x = a.get(i).get(first.label());
        EvaluationReport.ClassRow o = b.get(i).get(first.label());
        all = x != null && o != null && kpi.apply(x) != null && kpi.apply(o) != null;
        if (all) {
          sum += kpi.apply(x) - kpi.apply(o);
        }
      }
      if (all) {
        rows.add(new double[] {classBalanced ? 1 : first.images(), sum / a.size()});
      }
    }
    int n = rows.size();
    if (n < 2) {
      return null;
    }
    double[] w = new double[n];
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      w[i] = rows.get(i)[0];
      d[i] = rows.get(i)[1];
    }
    double point = weightedMean(w, d, null);
    SplittableRandom rnd = new SplittableRandom(SEED);
    double[] stats = new double[RESAMPLES];
    int[] pick = new int[n];
    for (int r = 0; r < RESAMPLES; r++) {
      for (int i = 0; i < n; i++) {
        pick[i] = rnd.nextInt(n);
      }
      stats[r] = weightedMean(w, d, pick);
    }
    Arrays.sort(stats);
    return new Interval(point, stats[(int) Math.floor(0.025 * (RESAMPLES - 1))], stats[(int) Math.ceil(0.975 * (RESAMPLES - 1))], n);
  }

  private static List<java.util.Map<String, EvaluationReport.ClassRow>> byLabel(List<EvaluationReport> reports) {
    return reports.stream().map(r -> {
      java.util.Map<String, EvaluationReport.ClassRow> m = new java.util.HashMap<>();
      r.perClass().forEach(c -> m.put(c.label(), c));
      return m;
    }).toList();
  }

    private static double weightedMean(double[] w, double[] d, int[] pick) {
    double sw = 0;
    double s = 0;
    for (int i = 0; i < w.length; i++) {
      int j = pick == null ? i : pick[i];
      sw += w[j];
      s += w[j] * d[j];
    }
    return s / sw;
  }
}
