package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every loss's autograd gradient against central finite differences (float64, PyTorch engine), plus
 * values that can be worked out by hand.
 */
class LossesTest {

  static Engine engine;
  static NDManager manager;
  static final long SEED = Long.getLong("kagami.test.seed", 5L);

  @BeforeAll
  static void open() {
    engine = Engine.getEngine("PyTorch");
    manager = engine.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  static double[] random(SplittableRandom r, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) {
      d[i] = r.nextGaussian();
    }
    return d;
  }

  /** Checks d loss / d x of {@code f} at {@code x0} (shape {@code shape}) against finite differences. */
  static void checkGradient(String name, double[] x0, Shape shape, Function<NDArray, NDArray> f) {
    double[] analytic;
    try (NDManager m = manager.newSubManager()) {
      NDArray x = m.create(x0, shape);
      x.setRequiresGradient(true);
      try (GradientCollector gc = engine.newGradientCollector()) {
        NDArray loss = f.apply(x);
        gc.backward(loss);
      }
      analytic = x.getGradient().toDoubleArray();
    }
    double eps = 1e-6;
    double worst = 0;
    for (int i = 0; i < x0.length; i++) {
      double[] plus = x0.clone();
      double[] minus = x0.clone();
      plus[i] += eps;
      minus[i] -= eps;
      double numeric = (value(plus, shape, f) - value(minus, shape, f)) / (2 * eps);
      double err = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
      worst = Math.max(worst, err);
      assertThat(err).as("%s: d/dx[%d] autograd %.8f vs finite difference %.8f", name, i, analytic[i], numeric)
          .isLessThan(1e-4);
    }
    System.out.printf("%s: worst relative gradient error %.2e over %d coordinates%n", name, worst, x0.length);
  }

  static double value(double[] x0, Shape shape, Function<NDArray, NDArray> f) {
    try (NDManager m = manager.newSubManager()) {
      return f.apply(m.create(x0, shape)).toDoubleArray()[0];
    }
  }

  @Test
  void info_nce_gradients_match_finite_differences() {
    SplittableRandom r = new SplittableRandom(SEED);
    double[] texts = random(r, 4 * 6);
    double[] images = random(r, 4 * 6);
    checkGradient("InfoNCE d/dimages", images, new Shape(4, 6), x -> {
      NDManager m = x.getManager();
      return Losses.infoNce(x, m.create(texts, new Shape(4, 6)), m.create(new double[] {Math.log(10)}, new Shape(1)));
    });
    checkGradient("InfoNCE d/dlogScale", new double[] {Math.log(10)}, new Shape(1), s -> {
      NDManager m = s.getManager();
      return Losses.infoNce(m.create(images, new Shape(4, 6)), m.create(texts, new Shape(4, 6)), s);
    });
  }

  @Test
  void grouped_info_nce_matches_a_plain_java_reference_and_its_gradient() {
    SplittableRandom r = new SplittableRandom(SEED + 4);
    double[] texts = random(r, 4 * 6);
    double[] images = random(r, 4 * 6);
    int[] groups = {7, 3, 7, 5}; // images 0 and 2 share a group: each has two positive texts
    checkGradient("grouped InfoNCE d/dimages", images, new Shape(4, 6), x -> {
      NDManager m = x.getManager();
      return Losses.infoNce(x, m.create(texts, new Shape(4, 6)), m.create(new double[] {Math.log(10)}, new Shape(1)), groups);
    });
    double[][] a = rows(images, 4, 6);
    double[][] b = rows(texts, 4, 6);
    double[][] logits = new double[4][4];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        double dot = 0;
        for (int d = 0; d < 6; d++) {
          dot += a[i][d] * b[j][d];
        }
        logits[i][j] = 10 * dot;
      }
    }
    double expected = 0;
    for (int dir = 0; dir < 2; dir++) {
      for (int i = 0; i < 4; i++) {
        double norm = 0;
        int positives = 0;
        double sumPos = 0;
        for (int j = 0; j < 4; j++) {
          double z = dir == 0 ? logits[i][j] : logits[j][i];
          norm += Math.exp(z);
          if (groups[i] == groups[j]) {
            positives++;
            sumPos += z;
          }
        }
        expected += -(sumPos / positives - Math.log(norm)) / 4 / 2;
      }
    }
    try (NDManager m = manager.newSubManager()) {
      double got = Losses.infoNce(m.create(images, new Shape(4, 6)), m.create(texts, new Shape(4, 6)),
          m.create(new double[] {Math.log(10)}, new Shape(1)), groups).toDoubleArray()[0];
      assertThat(got).isCloseTo(expected, within(1e-9));
      double plain = Losses.infoNce(m.create(images, new Shape(4, 6)), m.create(texts, new Shape(4, 6)),
          m.create(new double[] {Math.log(10)}, new Shape(1))).toDoubleArray()[0];
      assertThat(got).isNotCloseTo(plain, within(1e-3));
    }
  }

  /** Rows of a flat [n, d] array, each scaled to unit length. */
  private static double[][] rows(double[] flat, int n, int d) {
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      double norm = 0;
      for (int k = 0; k < d; k++) {
        norm += flat[i * d + k] * flat[i * d + k];
      }
      for (int k = 0; k < d; k++) {
        out[i][k] = flat[i * d + k] / Math.sqrt(norm);
      }
    }
    return out;
  }

  @Test
  void arc_margin_gradients_match_for_embeddings_and_proxies() {
    SplittableRandom r = new SplittableRandom(SEED + 1);
    double[] emb = random(r, 5 * 4);
    double[] proxies = random(r, 3 * 4);
    int[] labels = {0, 1, 2, 1, 0};
    checkGradient("ArcMargin d/dembeddings", emb, new Shape(5, 4),
        x -> Losses.arcMargin(x, x.getManager().create(proxies, new Shape(3, 4)), labels, Losses.S, Losses.M));
    checkGradient("ArcMargin d/dproxies", proxies, new Shape(3, 4),
        w -> Losses.arcMargin(w.getManager().create(emb, new Shape(5, 4)), w, labels, Losses.S, Losses.M));
  }

  @Test
  void multi_caption_arc_margin_gradients_match_with_images_without_captions() {
    SplittableRandom r = new SplittableRandom(SEED + 2);
    double[] emb = random(r, 4 * 5);
    double[] caps = random(r, 6 * 5);
    // image 0: captions 0,1; image 1: caption 2; image 2: none; image 3: captions 3,4,5
    double[] pos = {1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    checkGradient("MCArcMargin d/dembeddings", emb, new Shape(4, 5), x -> Losses.multiCaptionArcMargin(x,
        x.getManager().create(caps, new Shape(6, 5)), x.getManager().create(pos, new Shape(4, 6)), Losses.S, Losses.M, 0));
    checkGradient("MCArcMargin+oddity d/dembeddings", emb, new Shape(4, 5), x -> Losses.multiCaptionArcMargin(x,
        x.getManager().create(caps, new Shape(6, 5)), x.getManager().create(pos, new Shape(4, 6)), Losses.S, Losses.M, 0.1));
  }

  @Test
  void hand_checked_values() {
    try (NDManager m = manager.newSubManager()) {
      // ArcMargin with m = 0 is softmax cross-entropy of s * cos: two orthogonal classes, x on class 0's proxy
      NDArray x = m.create(new double[] {1, 0}, new Shape(1, 2));
      NDArray w = m.create(new double[] {1, 0, 0, 1}, new Shape(2, 2));
      double expected = -Math.log(Math.exp(30) / (Math.exp(30) + Math.exp(0)));
      assertThat(Losses.arcMargin(x, w, new int[] {0}, 30, 0).toDoubleArray()[0]).isCloseTo(expected, within(1e-9));
      // with m = 0.1 the true logit is 30 * cos(0.1)
      double withMargin = -Math.log(Math.exp(30 * Math.cos(0.1)) / (Math.exp(30 * Math.cos(0.1)) + 1));
      assertThat(Losses.arcMargin(x, w, new int[] {0}, 30, 0.1).toDoubleArray()[0]).isCloseTo(withMargin, within(1e-9));
      // InfoNCE of two orthogonal perfect pairs at scale 100: log(1 + e^-100) each way
      NDArray id = m.create(new double[] {1, 0, 0, 1}, new Shape(2, 2));
      double nce = Losses.infoNce(id, id, m.create(new double[] {10}, new Shape(1))).toDoubleArray()[0];
      assertThat(nce).isCloseTo(Math.log1p(Math.exp(-100)), within(1e-12)); // log scale 10 is clamped to ln 100
      // MCArcMargin with one caption per image equals ArcMargin with the captions as proxies
      SplittableRandom r = new SplittableRandom(SEED + 3);
      NDArray e = m.create(random(r, 3 * 4), new Shape(3, 4));
      NDArray c = m.create(random(r, 3 * 4), new Shape(3, 4));
      NDArray eye = m.eye(3).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
      assertThat(Losses.multiCaptionArcMargin(e, c, eye, 30, 0.1, 0).toDoubleArray()[0])
          .isCloseTo(Losses.arcMargin(e, c, new int[] {0, 1, 2}, 30, 0.1).toDoubleArray()[0], within(1e-9));
    }
  }
}
