package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ClassBootstrapTest {

  static EvaluationReport report(String id, double[] ap, int[] images) {
    List<EvaluationReport.ClassRow> rows = new ArrayList<>();
    for (int i = 0; i < ap.length; i++) {
      rows.add(new EvaluationReport.ClassRow("c" + i, images[i], ap[i], ap[i], ap[i], ap[i], null));
    }
    EvaluationReport.Summary s = new EvaluationReport.Summary(0.5, 0.5, 0.5, 0.5, 0.5, null, null, null, 0);
    EvaluationReport.Operations o = new EvaluationReport.Operations(0, 0, null, null, null, 32, 128, 0, 0);
    return new EvaluationReport(id, "2026-12-02T00:00:00Z", "m/" + id, "onnxruntime", "d", "test", 1, 100, ap.length, "t", s,
        rows, o, List.of());
  }

  @Test
  void the_point_is_the_image_weighted_mean_change_and_the_interval_holds_it() {
    double[] before = {0.5, 0.6, 0.7, 0.4};
    double[] after = {0.6, 0.65, 0.6, 0.8};
    int[] images = {10, 30, 20, 40};
    ClassBootstrap.Interval i = ClassBootstrap.change(report("a", before, images), report("b", after, images),
        EvaluationReport.ClassRow::i2iMap);
    double expected = (10 * 0.1 + 30 * 0.05 + 20 * -0.1 + 40 * 0.4) / 100;
    assertThat(i.change()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(i.low()).isLessThan(i.change());
    assertThat(i.high()).isGreaterThan(i.change());
    assertThat(i.low()).isGreaterThanOrEqualTo(-0.1);
    assertThat(i.high()).isLessThanOrEqualTo(0.4);
    assertThat(i.classes()).isEqualTo(4);
    // the same reports give the same interval (a fixed seed)
    assertThat(ClassBootstrap.change(report("a", before, images), report("b", after, images), EvaluationReport.ClassRow::i2iMap))
        .isEqualTo(i);
  }

  @Test
  void an_unchanged_model_has_a_zero_width_interval_and_one_class_has_none() {
    double[] ap = {0.3, 0.9, 0.5};
    int[] images = {5, 5, 5};
    ClassBootstrap.Interval same = ClassBootstrap.change(report("a", ap, images), report("b", ap, images),
        EvaluationReport.ClassRow::i2iMap);
    assertThat(same.low()).isZero();
    assertThat(same.high()).isZero();
    assertThat(ClassBootstrap.change(report("a", new double[] {0.1}, new int[] {3}), report("b", new double[] {0.2},
        new int[] {3}), EvaluationReport.ClassRow::i2iMap)).isNull();
  }

  @Test
  void the_interval_narrows_as_classes_grow_more_numerous() {
    SplittableRandom r = new SplittableRandom(5);
    double[] width = new double[2];
    int[] sizes = {8, 200};
    for (int k = 0; k < 2; k++) {
      int n = sizes[k];
      double[] b = new double[n];
      double[] a = new double[n];
      int[] img = new int[n];
      for (int i = 0; i < n; i++) {
        b[i] = r.nextDouble();
        a[i] = b[i] + 0.05 + 0.2 * (r.nextDouble() - 0.5);
        img[i] = 10;
      }
      ClassBootstrap.Interval iv = ClassBootstrap.change(report("a", b, img), report("b", a, img), EvaluationReport.ClassRow::i2iMap);
      width[k] = iv.high() - iv.low();
    }
    assertThat(width[1]).isLessThan(width[0] / 2);
  }

  @Test
  void several_seeds_average_each_classs_change_and_class_balance_weighs_classes_alike() {
    double[] base = {0.5, 0.6, 0.7, 0.4};
    int[] images = {10, 30, 20, 40};
    EvaluationReport b = report("base", base, images);
    EvaluationReport s1 = report("s1", new double[] {0.6, 0.6, 0.7, 0.5}, images);
    EvaluationReport s2 = report("s2", new double[] {0.8, 0.6, 0.5, 0.5}, images);
    // per class over the seeds: +0.2, 0, -0.1, +0.1
    ClassBootstrap.Interval q = ClassBootstrap.meanChange(b, List.of(s1, s2), EvaluationReport.ClassRow::i2iMap, false);
    assertThat(q.change()).isCloseTo((10 * 0.2 + 0 - 20 * 0.1 + 40 * 0.1) / 100, org.assertj.core.data.Offset.offset(1e-12));
    ClassBootstrap.Interval c = ClassBootstrap.meanChange(b, List.of(s1, s2), EvaluationReport.ClassRow::i2iMap, true);
    assertThat(c.change()).isCloseTo((0.2 + 0 - 0.1 + 0.1) / 4, org.assertj.core.data.Offset.offset(1e-12));
    // one seed is the two-report change
    assertThat(ClassBootstrap.meanChange(b, List.of(s1), EvaluationReport.ClassRow::i2iMap, false))
        .isEqualTo(ClassBootstrap.change(b, s1, EvaluationReport.ClassRow::i2iMap));
    // two methods paired seed by seed: s2 against s1 is +0.2, 0, -0.2, 0
    ClassBootstrap.Interval p = ClassBootstrap.pairedChange(List.of(s1), List.of(s2), EvaluationReport.ClassRow::i2iMap, true);
    assertThat(p.change()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(p.low()).isLessThan(0);
    assertThat(p.high()).isGreaterThan(0);
  }
}
