package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kagami.concurrent.Parallel;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScoreCalibrationTest {

  /** Unit vectors in the plane at the given angles. */
  static Embeddings at(double... angles) {
    float[][] v = new float[angles.length][];
    for (int i = 0; i < angles.length; i++) {
      v[i] = new float[] {(float) Math.cos(angles[i]), (float) Math.sin(angles[i])};
    }
    return Embeddings.of(List.of(v));
  }

  @Test
  void separated_classes_get_the_lowest_within_class_score_and_all_their_recall() {
    // class 0 near angle 0, class 1 near pi/2: within a class cos >= cos(0.2), across at most cos(pi/2 - 0.2)
    Embeddings e = at(-0.1, 0.0, 0.1, Math.PI / 2 - 0.1, Math.PI / 2, Math.PI / 2 + 0.1);
    int[] labels = {0, 0, 0, 1, 1, 1};
    ScoreCalibration.Calibration c = ScoreCalibration.of(Parallel.SEQUENTIAL, e, labels, null, null, 0.9);
    assertThat(c.textQueries()).isNull();
    assertThat(c.imageQueries().recall()).isEqualTo(1.0);
    // the threshold is the lower edge of the bin that holds cos(0.2), the lowest within-class score
    assertThat(c.imageQueries().score()).isLessThanOrEqualTo(Math.cos(0.2)).isGreaterThan(Math.cos(0.2) - 2.0 / ScoreCalibration.BINS);
  }

  @Test
  void the_threshold_is_the_lowest_score_whose_pairs_keep_the_precision() {
    // scores of one query against 10 candidates, worked out by hand: relevant at 0.9, 0.8, 0.7, 0.5; not at 0.6, 0.4 ...
    // pairs at or above 0.7: 3 of 3 relevant; at or above 0.6: 3 of 4 (0.75); at or above 0.5: 4 of 5 (0.8)
    double[] scores = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0};
    boolean[] rel = {true, true, true, false, true, false, false, false, false, false};
    double[] angles = new double[scores.length + 1];
    int[] labels = new int[scores.length + 1];
    for (int i = 0; i < scores.length; i++) {
      angles[i + 1] = Math.acos(scores[i]);
      labels[i + 1] = rel[i] ? 0 : 1;
    }
    Embeddings queries = at(0.0);
    Embeddings candidates = at(java.util.Arrays.copyOfRange(angles, 1, angles.length));
    int[] candidateLabels = java.util.Arrays.copyOfRange(labels, 1, labels.length);
    ScoreCalibration.Threshold p8 = ScoreCalibration.threshold(Parallel.SEQUENTIAL, queries, new int[] {0}, candidates,
        candidateLabels, false, 0.8);
    assertThat(p8.score()).isCloseTo(0.5, within(2.0 / ScoreCalibration.BINS)); // 4 of 5 at 0.5
    assertThat(p8.recall()).isEqualTo(1.0);
    ScoreCalibration.Threshold p9 = ScoreCalibration.threshold(Parallel.SEQUENTIAL, queries, new int[] {0}, candidates,
        candidateLabels, false, 0.9);
    assertThat(p9.score()).isCloseTo(0.7, within(2.0 / ScoreCalibration.BINS)); // 3 of 3 at 0.7, 3 of 4 below
    assertThat(p9.recall()).isEqualTo(0.75);
  }

  @Test
  void no_threshold_when_even_the_best_pairs_miss_the_precision() {
    SplittableRandom r = new SplittableRandom(3);
    double[] angles = new double[40];
    int[] labels = new int[40];
    for (int i = 0; i < angles.length; i++) {
      angles[i] = r.nextDouble() * 2 * Math.PI;
      labels[i] = r.nextInt(2); // labels unrelated to the embeddings: precision about 0.5 at every score
    }
    assertThat(ScoreCalibration.of(Parallel.SEQUENTIAL, at(angles), labels, null, null, 0.99).imageQueries()).isNull();
  }

  @Test
  void text_queries_are_relevant_to_their_images_class() {
    Embeddings images = at(0.0, 0.1, Math.PI / 2, Math.PI / 2 + 0.1);
    int[] labels = {0, 0, 1, 1};
    Embeddings captions = at(0.05, Math.PI / 2 + 0.05);
    ScoreCalibration.Calibration c = ScoreCalibration.of(Parallel.SEQUENTIAL, images, labels, captions, new int[] {0, 2}, 0.9);
    assertThat(c.textQueries().recall()).isEqualTo(1.0);
    assertThat(c.textQueries().score()).isLessThanOrEqualTo(Math.cos(0.05)).isGreaterThan(Math.cos(0.05) - 2.0 / ScoreCalibration.BINS);
  }
}
