package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for every KPI, and the properties a metric must have. */
class MetricsTest {

  static final float C = 0.8660254f; // cos 30
  static final float H = 0.5f; // cos 60

  /** v0=(1,0) v1=(H,C) v2=(C,H) v3=(0,1): cos(v0,v1)=H, (v0,v2)=C, (v1,v2)=C, (v1,v3)=C, (v2,v3)=H, (v0,v3)=0. */
  static Embeddings four() {
    return new Embeddings(4, 2, new float[] {1, 0, H, C, C, H, 0, 1});
  }

  @Test
  void i2i_hand_computed_with_ties_and_a_class_of_one() {
    // labels: v0,v1 class 0; v2,v3 class 1; v4 (a copy of v0) is alone in class 2 and is skipped as a query
    Embeddings x = new Embeddings(5, 2, new float[] {1, 0, H, C, C, H, 0, 1, 1, 0});
    ImageRetrieval.Result r = ImageRetrieval.evaluate(x, new int[] {0, 0, 1, 1, 2}, 3);
    // q0: v4(1.0,c2) v2(C,c1) v1(H,c0) v3(0) -> its one relevant item at rank 3: AP 1/3
    // q1: v2,v3 tie at C (class 1) then v0,v4 (H): v0 relevant; pessimistic: v4 (non-rel) before v0 -> rank 4: AP 1/4
    // q2: v0,v1,v4 tie at C -> non-relevant first... all non-relevant; v3 (H) rank 4: AP 1/4
    // q3: v1 (C) then v2 (H): rank 2: AP 1/2
    assertThat(r.queries()).isEqualTo(4);
    assertThat(r.skippedQueries()).isEqualTo(1);
    assertThat(r.map()).isCloseTo((1 / 3.0 + 1 / 4.0 + 1 / 4.0 + 1 / 2.0) / 4, within(1e-9));
    assertThat(r.recallAt1()).isEqualTo(0.0);
    assertThat(r.mapAtR()).isEqualTo(0.0); // R = 1 and no query has its relevant item first
    assertThat(r.classMap()[0]).isCloseTo((1 / 3.0 + 1 / 4.0) / 2, within(1e-9));
    assertThat(r.classMap()[1]).isCloseTo((1 / 4.0 + 1 / 2.0) / 2, within(1e-9));
    assertThat(r.classMap()[2]).isNaN();
    assertThat(r.classQueries()).containsExactly(2, 2, 0);
  }

  @Test
  void map_at_r_counts_only_the_first_r_ranks() {
    // q0 relevant {1, 2}; ranking for q0: 1 (rel), 3 (non), 2 (rel)
    Embeddings x = new Embeddings(4, 2, new float[] {1, 0, 0.9f, 0.1f, 0.5f, 0.5f, 0.7f, 0.3f});
    ImageRetrieval.Result r = ImageRetrieval.evaluate(x, new int[] {0, 0, 0, 1}, 2);
    // q0: AP = (1/1 + 2/3) / 2 ; AP@R (R=2) = (1/1 + 0) / 2
    // q1 (0.9,0.1): sims q0 .9, q3 .66, q2 .5 -> rel {0,2}: ranks 1 and 3: AP (1 + 2/3)/2, AP@R 1/2
    // q2 (.5,.5): sims q0 .5, q1 .5, q3 .5 -> all tie, non-relevant first: q3 then q0,q1: ranks 2,3: AP (1/2+2/3)/2, AP@R (0+1/2)/2
    double ap0 = (1 + 2 / 3.0) / 2;
    double ap2 = (1 / 2.0 + 2 / 3.0) / 2;
    assertThat(r.classMap()[0]).isCloseTo((ap0 + ap0 + ap2) / 3, within(1e-6));
    assertThat(r.classMapAtR()[0]).isCloseTo((0.5 + 0.5 + 0.25) / 3, within(1e-6));
    assertThat(r.classRecallAt1()[0]).isCloseTo(2 / 3.0, within(1e-9));
  }

  @Test
  void knn_hand_computed() {
    Embeddings train = new Embeddings(2, 2, new float[] {1, 0, 0, 1}); // class 0, class 1
    Embeddings test = new Embeddings(2, 2, new float[] {C, H, H, C});
    Classification.Result k1 = Classification.knn(train, new int[] {0, 1}, test, new int[] {0, 0}, 2, 1, 0.1);
    assertThat(k1.predictions()).containsExactly(0, 1);
    assertThat(k1.accuracy()).isEqualTo(0.5);
    assertThat(k1.classAccuracy()[0]).isEqualTo(0.5);
    assertThat(k1.classAccuracy()[1]).isNaN();
    // k=21 > train size: both neighbours vote, exp(C/0.1) >> exp(H/0.1): same predictions
    Classification.Result k21 = Classification.knn(train, new int[] {0, 1}, test, new int[] {0, 1}, 2, 21, 0.1);
    assertThat(k21.predictions()).containsExactly(0, 1);
    assertThat(k21.accuracy()).isEqualTo(1.0);
  }

  @Test
  void knn_weights_votes_by_exp_of_similarity_over_temperature() {
    // two weak neighbours of class 1 (sim 0.5 each) against one strong of class 0 (sim 0.6):
    // 2*exp(5) = 296.8 > exp(6) = 403.4? no: class 0 wins at T=0.1; at T=1, 2*exp(.5)=3.30 > exp(.6)=1.82: class 1
    Embeddings train = new Embeddings(3, 2, new float[] {0.6f, 0, 0.5f, 0, 0.5f, 0});
    Embeddings test = new Embeddings(1, 2, new float[] {1, 0});
    int[] trainLabels = {0, 1, 1};
    assertThat(Classification.knn(train, trainLabels, test, new int[] {0}, 2, 3, 0.1).predictions()).containsExactly(0);
    assertThat(Classification.knn(train, trainLabels, test, new int[] {0}, 2, 3, 1.0).predictions()).containsExactly(1);
  }

  @Test
  void zero_shot_hand_computed_with_averaged_templates() {
    // class 0 templates (1,0) and (C,H); class 1 templates (0,1) and (H,C)
    Embeddings templates = new Embeddings(4, 2, new float[] {1, 0, C, H, 0, 1, H, C});
    Embeddings protos = Classification.classPrototypes(templates, 2);
    double n0 = Math.hypot(1 + C, H);
    assertThat(protos.data()[0]).isCloseTo((float) ((1 + C) / n0), within(1e-6f));
    Classification.Result r = Classification.zeroShot(four(), new int[] {0, 1, 0, 1}, protos);
    assertThat(r.predictions()).containsExactly(0, 1, 0, 1);
    assertThat(r.accuracy()).isEqualTo(1.0);
  }

  @Test
  void t2i_hand_computed_with_pessimistic_ties() {
    Embeddings images = four();
    // caption 0 = v0 -> image 0 (rank 1); caption 1 = v3 -> image 1 (scores 0, C, H, 1: rank 2);
    // caption 2 = (1,1) -> image 1 ties with image 2 at H+C: pessimistic rank 2
    Embeddings captions = new Embeddings(3, 2, new float[] {1, 0, 0, 1, 1, 1});
    TextToImage.Result r = TextToImage.evaluate(captions, new int[] {0, 1, 1}, images, new int[] {0, 0, 1, 1}, 2);
    assertThat(r.recallAt(1)).isCloseTo(1 / 3.0, within(1e-9));
    assertThat(r.recallAt(5)).isEqualTo(1.0);
    assertThat(r.classRecall()[0][0]).isCloseTo(1 / 3.0, within(1e-9));
    assertThat(r.classRecall()[1][0]).isNaN();
  }

  /** Well-separated clusters: one direction per class plus small noise. */
  static Embeddings clusters(int[] labels, int dim, double noise, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] data = new float[labels.length * dim];
    for (int i = 0; i < labels.length; i++) {
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        float v = (float) ((d == labels[i] ? 1.0 : 0.0) + noise * rnd.nextGaussian());
        data[i * dim + d] = v;
        norm += v * v;
      }
      for (int d = 0; d < dim; d++) {
        data[i * dim + d] /= (float) Math.sqrt(norm);
      }
    }
    return new Embeddings(labels.length, dim, data);
  }

  static int[] balancedLabels(int n, int classes) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = i % classes;
    }
    return l;
  }

  @Test
  void perfect_embeddings_score_one_everywhere() {
    int[] labels = balancedLabels(200, 10);
    Embeddings x = clusters(labels, 16, 0.0, 1);
    ImageRetrieval.Result i2i = ImageRetrieval.evaluate(x, labels, 10);
    assertThat(i2i.map()).isEqualTo(1.0);
    assertThat(i2i.mapAtR()).isEqualTo(1.0);
    assertThat(i2i.recallAt1()).isEqualTo(1.0);
    assertThat(Classification.knn(x, labels, x, labels, 10, 21, 0.1).accuracy()).isEqualTo(1.0);
    Embeddings protos = clusters(balancedLabels(10, 10), 16, 0.0, 2);
    assertThat(Classification.zeroShot(x, labels, protos).accuracy()).isEqualTo(1.0);
  }

  @Test
  void shuffled_labels_score_at_chance() {
    long seed = Long.getLong("kagami.test.seed", 42L);
    int n = 1000;
    int[] labels = balancedLabels(n, 10);
    Embeddings x = clusters(labels, 16, 0.1, seed);
    int[] shuffled = labels.clone();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = shuffled[i];
      shuffled[i] = shuffled[j];
      shuffled[j] = t;
    }
    ImageRetrieval.Result real = ImageRetrieval.evaluate(x, labels, 10);
    ImageRetrieval.Result chance = ImageRetrieval.evaluate(x, shuffled, 10);
    assertThat(real.map()).isGreaterThan(0.9);
    assertThat(chance.map()).as("seed %d", seed).isBetween(0.08, 0.14); // prior 0.1
    assertThat(chance.recallAt1()).isBetween(0.05, 0.16);
    int[] trainL = java.util.Arrays.copyOfRange(shuffled, 0, 500);
    int[] testL = java.util.Arrays.copyOfRange(shuffled, 500, 1000);
    Embeddings train = new Embeddings(500, 16, java.util.Arrays.copyOfRange(x.data(), 0, 500 * 16));
    Embeddings test = new Embeddings(500, 16, java.util.Arrays.copyOfRange(x.data(), 500 * 16, 1000 * 16));
    assertThat(Classification.knn(train, trainL, test, testL, 10, 21, 0.1).accuracy()).isBetween(0.04, 0.17);
  }

  @Test
  void a_degenerate_model_does_not_score_well_through_ties() {
    int[] labels = balancedLabels(100, 4);
    float[] same = new float[100 * 8];
    for (int i = 0; i < 100; i++) {
      same[i * 8] = 1;
    }
    ImageRetrieval.Result r = ImageRetrieval.evaluate(new Embeddings(100, 8, same), labels, 4);
    assertThat(r.recallAt1()).isEqualTo(0.0);
    assertThat(r.map()).isLessThan(0.25);
  }
}
