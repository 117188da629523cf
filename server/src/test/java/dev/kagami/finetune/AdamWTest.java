package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AdamW, clipping and the schedule against a plain-Java reference written from the update formulas. */
class AdamWTest {

  static Engine engine;
  static NDManager manager;
  static final long SEED = Long.getLong("kagami.test.seed", 11L);

  @BeforeAll
  static void open() {
    engine = Engine.getEngine("PyTorch");
    manager = engine.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void cosine_schedule_warms_up_linearly_then_decays_to_its_floor() {
    CosineSchedule s = new CosineSchedule(10, 110, 0.1);
    assertThat(s.factor(0)).isCloseTo(0.1, within(1e-12));
    assertThat(s.factor(9)).isCloseTo(1.0, within(1e-12));
    assertThat(s.factor(10)).isCloseTo(1.0, within(1e-12));
    assertThat(s.factor(60)).isCloseTo(0.55, within(1e-12)); // half-way: (1 + 0.1) / 2
    assertThat(s.factor(110)).isCloseTo(0.1, within(1e-12));
    assertThat(s.factor(5000)).isCloseTo(0.1, within(1e-12));
    for (int t = 11; t < 110; t++) {
      assertThat(s.factor(t)).isLessThan(s.factor(t - 1));
    }
  }

  /** loss = sum_i w_i (p_i - c_i)^2 over both groups; gradient 2 w (p - c). */
  @Test
  void updates_match_the_reference_with_groups_decay_clipping_and_schedule() {
    SplittableRandom r = new SplittableRandom(SEED);
    int n = 6;
    double[][] p0 = {new double[n], new double[n]};
    double[] w = new double[n];
    double[] c = new double[n];
    for (int i = 0; i < n; i++) {
      p0[0][i] = r.nextGaussian();
      p0[1][i] = r.nextGaussian();
      w[i] = 0.5 + r.nextDouble() * 3;
      c[i] = r.nextGaussian();
    }
    double[] lr = {1e-2, 1.0}; // the second group at 100x, as the class proxies
    double[] wd = {0.05, 0.0};
    double maxNorm = 0.5; // the gradients here are larger: clipping is active
    CosineSchedule schedule = new CosineSchedule(2, 8, 0.0);
    int steps = 8;

    double[][] ref = {p0[0].clone(), p0[1].clone()};
    double[][][] mv = new double[2][2][n];
    double[] refNorms = new double[steps];
    for (int t = 1; t <= steps; t++) {
      double[][] g = new double[2][n];
      double sq = 0;
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < n; i++) {
          g[k][i] = 2 * w[i] * (ref[k][i] - c[i]);
          sq += g[k][i] * g[k][i];
        }
      }
      double norm = Math.sqrt(sq);
      refNorms[t - 1] = norm;
      double clip = norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
      double f = schedule.factor(t - 1);
      for (int k = 0; k < 2; k++) {
        for (int i = 0; i < n; i++) {
          double gi = g[k][i] * clip;
          mv[k][0][i] = 0.9 * mv[k][0][i] + 0.1 * gi;
          mv[k][1][i] = 0.999 * mv[k][1][i] + 0.001 * gi * gi;
          double mhat = mv[k][0][i] / (1 - Math.pow(0.9, t));
          double vhat = mv[k][1][i] / (1 - Math.pow(0.999, t));
          double rate = lr[k] * f;
          ref[k][i] = ref[k][i] - rate * mhat / (Math.sqrt(vhat) + 1e-8) - rate * wd[k] * ref[k][i];
        }
      }
    }

    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.create(toFloat(p0[0]));
      NDArray b = m.create(toFloat(p0[1]));
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      NDArray weights = m.create(toFloat(w));
      NDArray centre = m.create(toFloat(c));
      List<AdamW.Group> groups = List.of(new AdamW.Group("backbone", List.of(a), lr[0], wd[0]),
          new AdamW.Group("proxies", List.of(b), lr[1], wd[1]));
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.999, 1e-8, maxNorm, schedule)) {
        for (int t = 0; t < steps; t++) {
          try (GradientCollector gc = engine.newGradientCollector()) {
            NDArray loss = a.sub(centre).square().mul(weights).sum().add(b.sub(centre).square().mul(weights).sum());
            gc.backward(loss);
          }
          AdamW.StepInfo info = opt.step();
          assertThat(info.gradNorm()).as("step %d norm", t).isCloseTo(refNorms[t], within(1e-4 * refNorms[t]));
          assertThat(info.lrFactor()).isEqualTo(schedule.factor(t));
        }
        assertThat(opt.steps()).isEqualTo(steps);
      }
      float[] gotA = a.toFloatArray();
      float[] gotB = b.toFloatArray();
      for (int i = 0; i < n; i++) {
        assertThat((double) gotA[i]).as("backbone[%d] (seed %d)", i, SEED).isCloseTo(ref[0][i], within(1e-5));
        assertThat((double) gotB[i]).as("proxies[%d] (seed %d)", i, SEED).isCloseTo(ref[1][i], within(2e-5));
      }
      assertThat(a.getGradient().abs().sum().getFloat()).as("gradients zeroed after the step").isZero();
    }
  }

  @Test
  void the_first_step_moves_each_group_by_its_learning_rate() {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.create(new float[] {1, -2, 3});
      NDArray b = m.create(new float[] {1, -2, 3});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      try (AdamW opt = AdamW.standard(m, List.of(new AdamW.Group("a", List.of(a), 1e-3, 0), new AdamW.Group("b", List.of(b),
          1e-1, 0)), new CosineSchedule(0, 100, 0))) {
        try (GradientCollector gc = engine.newGradientCollector()) {
          gc.backward(a.square().sum().add(b.square().sum()));
        }
        opt.step();
      }
      // Adam's first step is lr * sign(g), whatever the gradient's scale (and clipping)
      assertThat(a.toFloatArray()).containsExactly(new float[] {1 - 1e-3f, -2 + 1e-3f, 3 - 1e-3f}, org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(b.toFloatArray()).containsExactly(new float[] {0.9f, -1.9f, 2.9f}, org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  /** Group b's first step with a's gradient 1e6 times larger: clipped away with a global norm, whole per group. */
  private double firstStepOfSmallGroup(AdamW.Clipping clipping) {
    try (NDManager m = manager.newSubManager()) {
      NDArray a = m.create(new float[] {1});
      NDArray b = m.create(new float[] {1});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      List<AdamW.Group> groups = List.of(new AdamW.Group("a", List.of(a), 1e-3, 0), new AdamW.Group("b", List.of(b), 1e-3, 0));
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.999, 1e-8, 1.0, clipping, new CosineSchedule(0, 100, 0))) {
        try (GradientCollector gc = engine.newGradientCollector()) {
          gc.backward(a.mul(1e6f).add(b.mul(1e-3f)).sum());
        }
        opt.step();
      }
      return 1 - b.toFloatArray()[0];
    }
  }

  @Test
  void per_group_clipping_keeps_a_small_group_from_being_clipped_by_a_large_one() {
    // global: b's gradient 1e-3 is scaled by ~1e-6 to 1e-9, below eps 1e-8, so Adam moves it by ~lr/11
    assertThat(firstStepOfSmallGroup(AdamW.Clipping.GLOBAL)).isCloseTo(1e-3 / 11, within(1e-5));
    // per group: b's own norm is under 1, so it is not clipped and moves by lr
    assertThat(firstStepOfSmallGroup(AdamW.Clipping.PER_GROUP)).isCloseTo(1e-3, within(1e-6));
  }

  @Test
  void no_decay_on_layer_norms_biases_and_embeddings() {
    assertThat(List.of("transformer.resblocks.3.attn.in_proj_weight", "transformer.resblocks.3.mlp.c_fc.weight", "proj",
        "text_projection", "conv1.weight")).allMatch(AdamW::decays);
    assertThat(List.of("ln_post.weight", "ln_final.bias", "transformer.resblocks.3.ln_1.weight",
        "transformer.resblocks.3.mlp.c_fc.bias", "class_embedding", "positional_embedding", "token_embedding.weight",
        "logit_scale")).noneMatch(AdamW::decays);
    try (NDManager m = manager.newSubManager()) {
      List<AdamW.Group> g = AdamW.decaySplit("text", List.of("proj", "ln_final.weight", "positional_embedding"),
          List.of(m.zeros(new ai.djl.ndarray.types.Shape(1)), m.zeros(new ai.djl.ndarray.types.Shape(2)),
              m.zeros(new ai.djl.ndarray.types.Shape(3))), 1e-4, 0.2);
      assertThat(g).extracting(AdamW.Group::name).containsExactly("text", "text-no-decay");
      assertThat(g.get(0).parameters()).hasSize(1);
      assertThat(g.get(1).parameters()).hasSize(2);
      assertThat(g).extracting(AdamW.Group::weightDecay).containsExactly(0.2, 0.0);
      assertThat(g).extracting(AdamW.Group::clipSet).containsExactly("text", "text");
    }
  }

  static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}
