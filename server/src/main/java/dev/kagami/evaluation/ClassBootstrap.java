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
    java.util.Map<String, EvaluationReport.ClassRow> b = new java.util.HashMap<>();
    before.perClass().forEach(r -> b.put(r.label(), r));
    List<double[]> rows = new java.util.ArrayList<>(); // {weight, change}
    for (EvaluationReport.ClassRow a : after.perClass()) {
      EvaluationReport.ClassRow o = b.get(a.label());
      if (o == null || kpi.apply(a) == null || kpi.apply(o) == null || a.images() == 0) {
        continue;
      }
      rows.add(new double[] {a.images(), kpi.apply(a) - kpi.apply(o)});
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
