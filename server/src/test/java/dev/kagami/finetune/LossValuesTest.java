package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Values of the losses against cases worked out by hand (in plain Java here), for what a finite-difference
 * check cannot pin: which branch ArcMargin takes near {@code pi}, how Multi-Caption ArcMargin averages
 * several captions and images without any, the extra term's value, and InfoNCE's gradient with respect
 * to the texts.
 */
class LossValuesTest {

  static NDManager manager;
  static final double S = Losses.S;
  static final double M = Losses.M;

  @BeforeAll
  static void open() {
    manager = Engine.getEngine("PyTorch").newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Two proxies, class 0 at angle 0 and class 1 at pi/2; one embedding at angle {@code theta}, label 0. */
  private static double arcMarginAt(double theta) {
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(new double[] {Math.cos(theta), Math.sin(theta)}, new Shape(1, 2));
      NDArray w = m.create(new double[] {1, 0, 0, 1}, new Shape(2, 2));
      return Losses.arcMargin(x, w, new int[] {0}, S, M).toDoubleArray()[0];
    }
  }

  private static double twoClassCrossEntropy(double trueLogit, double otherLogit) {
    return -trueLogit + Math.log(Math.exp(trueLogit) + Math.exp(otherLogit));
  }

  @Test
  void arc_margin_takes_the_fallback_branch_only_beyond_pi_minus_m() {
    // the embedding opposite its proxy: cos = -1 <= cos(pi - m), so phi = cos - m sin(pi - m)
    double opposite = twoClassCrossEntropy(S * (-1 - M * Math.sin(Math.PI - M)), S * Math.cos(Math.PI / 2 - Math.PI));
    assertThat(arcMarginAt(Math.PI)).isCloseTo(opposite, within(1e-9));
    // theta = pi - 0.05: still beyond pi - m (cos(theta) = -0.99875 <= -0.99500): the fallback, not cos(theta + m)
    double t1 = Math.PI - 0.05;
    double fallback = twoClassCrossEntropy(S * (Math.cos(t1) - M * Math.sin(Math.PI - M)), S * Math.cos(t1 - Math.PI / 2));
    double margin = twoClassCrossEntropy(S * Math.cos(t1 + M), S * Math.cos(t1 - Math.PI / 2));
    assertThat(arcMarginAt(t1)).isCloseTo(fallback, within(1e-9)).isNotCloseTo(margin, within(1e-3));
    // theta = pi - 0.2: inside, so phi = cos(theta + m) = cos(pi - 0.1)
    double t2 = Math.PI - 0.2;
    assertThat(arcMarginAt(t2)).isCloseTo(twoClassCrossEntropy(S * Math.cos(t2 + M), S * Math.cos(t2 - Math.PI / 2)),
        within(1e-9));
  }

  /** Unit vectors at the given angles in the plane (the rows of a [n, 2] array). */
  private static double[] at(double... angles) {
    double[] out = new double[angles.length * 2];
    for (int i = 0; i < angles.length; i++) {
      out[2 * i] = Math.cos(angles[i]);
      out[2 * i + 1] = Math.sin(angles[i]);
    }
    return out;
  }

  /** log softmax of {@code z} at {@code k}. */
  private static double logSoftmax(double[] z, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : z) {
      sum += Math.exp(v - max);
    }
    return z[k] - max - Math.log(sum);
  }

  private static double mcArcMargin(double[] images, double[] captions, double[] positives, int n, int k, double oddity) {
    try (NDManager m = manager.newSubManager()) {
      return Losses.multiCaptionArcMargin(m.create(images, new Shape(n, 2)), m.create(captions, new Shape(k, 2)),
          m.create(positives, new Shape(n, k)), S, M, oddity).toDoubleArray()[0];
    }
  }

  @Test
  void multi_caption_arc_margin_averages_an_images_captions_and_counts_images_without_any() {
    double[] captions = at(0.3, 0.5, 2.0); // captions 0 and 1 belong to image 0, caption 2 to nobody
    double img = 0.1;
    double[] z = {S * Math.cos(0.2 + M), S * Math.cos(0.4 + M), S * Math.cos(1.9)};
    double own = -(logSoftmax(z, 0) + logSoftmax(z, 1)) / 2;
    assertThat(mcArcMargin(at(img), captions, new double[] {1, 1, 0}, 1, 3, 0)).isCloseTo(own, within(1e-9));

    // a second image without captions adds 0 to the sum but counts in the mean (as the authors' code does)
    double[] two = at(img, 1.0);
    assertThat(mcArcMargin(two, captions, new double[] {1, 1, 0, 0, 0, 0}, 2, 3, 0)).isCloseTo(own / 2, within(1e-9));

    // the extra term: weight * max over the image's non-captions of -log softmax (only caption 2 here)
    double odd = -logSoftmax(z, 2);
    assertThat(mcArcMargin(at(img), captions, new double[] {1, 1, 0}, 1, 3, 0.1)).isCloseTo(own + 0.1 * odd, within(1e-9));
    // for an image without captions every caption is a non-caption: its extra term is its largest -log softmax
    double[] zNone = {S * Math.cos(1.0 - 0.3), S * Math.cos(1.0 - 0.5), S * Math.cos(2.0 - 1.0)};
    double oddNone = Math.max(-logSoftmax(zNone, 0), Math.max(-logSoftmax(zNone, 1), -logSoftmax(zNone, 2)));
    assertThat(mcArcMargin(two, captions, new double[] {1, 1, 0, 0, 0, 0}, 2, 3, 0.1))
        .isCloseTo((own + 0.1 * odd + 0.1 * oddNone) / 2, within(1e-9));
  }

  @Test
  void info_nce_gradient_with_respect_to_the_texts_is_the_closed_form() {
    int n = 3;
    int d = 4;
    double scale = 10;
    SplittableRandom r = new SplittableRandom(11);
    double[][] a = unitRows(r, n, d);
    double[][] b = unitRows(r, n, d);
    // logits z_ij = scale a_i . b_j; loss = (CE over rows + CE over columns) / 2, each a mean over n
    double[][] z = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        z[i][j] = scale * dot(a[i], b[j]);
      }
    }
    // dL/dz_ij = (softmax_row_i(z)_j - [i == j] + softmax_col_j(z)_i - [i == j]) / (2n)
    double[][] dz = new double[n][n];
    for (int i = 0; i < n; i++) {
      double[] row = z[i];
      double[] col = new double[n];
      for (int j = 0; j < n; j++) {
        col[j] = z[j][i];
      }
      for (int j = 0; j < n; j++) {
        dz[i][j] += (Math.exp(logSoftmax(row, j)) - (i == j ? 1 : 0)) / (2.0 * n);
        dz[j][i] += (Math.exp(logSoftmax(col, j)) - (i == j ? 1 : 0)) / (2.0 * n);
      }
    }
    // dL/db_j = scale sum_i dz_ij a_i, projected off b_j (the loss normalises b; here |b_j| = 1)
    double[][] expected = new double[n][d];
    for (int j = 0; j < n; j++) {
      double[] g = new double[d];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < d; k++) {
          g[k] += scale * dz[i][j] * a[i][k];
        }
      }
      double along = dot(g, b[j]);
      for (int k = 0; k < d; k++) {
        expected[j][k] = g[k] - along * b[j][k];
      }
    }
    double[] got;
    try (NDManager m = manager.newSubManager()) {
      NDArray texts = m.create(flat(b), new Shape(n, d));
      texts.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        gc.backward(Losses.infoNce(m.create(flat(a), new Shape(n, d)), texts, m.create(new double[] {Math.log(scale)}, new Shape(1))));
      }
      got = texts.getGradient().toDoubleArray();
    }
    double[] want = flat(expected);
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).as("dL/dtexts[%d]", i).isCloseTo(want[i], within(1e-9));
    }
    assertThat(java.util.Arrays.stream(want).map(Math::abs).max().orElseThrow()).isGreaterThan(1e-3);
  }

  private static double[][] unitRows(SplittableRandom r, int n, int d) {
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      double norm = 0;
      for (int k = 0; k < d; k++) {
        out[i][k] = r.nextGaussian();
        norm += out[i][k] * out[i][k];
      }
      for (int k = 0; k < d; k++) {
        out[i][k] /= Math.sqrt(norm);
      }
    }
    return out;
  }

  private static double dot(double[] x, double[] y) {
    double s = 0;
    for (int k = 0; k < x.length; k++) {
      s += x[k] * y[k];
    }
    return s;
  }

  private static double[] flat(double[][] rows) {
    double[] out = new double[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
    }
    return out;
  }
}
