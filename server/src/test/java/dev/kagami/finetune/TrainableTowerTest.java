package dev.kagami.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.kagami.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training engine on the tiny package's real TorchScript image tower: trains, selects, saves, reloads. */
class TrainableTowerTest {

  @Test
  void a_few_arcmargin_steps_lower_the_loss_and_the_saved_tower_reloads(@TempDir Path dir) throws Exception {
    Path visual = Fixtures.TINY_CLIP.resolve("visual.pt");
    Engine engine = Engine.getEngine("PyTorch");
    try (TrainableTower tower = TrainableTower.load(visual, TrainableTower.lastBlocks(1, 2));
        NDManager m = engine.newBaseManager()) {
      assertThat(tower.trainableNames()).contains("proj", "ln_post.weight")
          .anyMatch(n -> n.startsWith("transformer.resblocks.1."))
          .noneMatch(n -> n.startsWith("transformer.resblocks.0.") || n.startsWith("conv1"));
      SplittableRandom r = new SplittableRandom(3);
      float[] px = new float[8 * 3 * 224 * 224];
      for (int i = 0; i < px.length; i++) {
        px[i] = (float) r.nextGaussian();
      }
      NDArray images = m.create(px, new Shape(8, 3, 224, 224));
      int[] labels = {0, 1, 2, 3, 0, 1, 2, 3};
      NDArray proxies = m.randomNormal(new Shape(4, 32));
      Optimizer adamw = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-2f)).optWeightDecays(0.01f).build();
      NDArray frozenBefore = tower.trainableParameters().get(0).getArray().duplicate();
      float first = 0;
      float last = 0;
      for (int step = 0; step < 8; step++) {
        float loss;
        try (GradientCollector gc = engine.newGradientCollector()) {
          NDArray l = Losses.arcMargin(tower.forward(images), proxies, labels, Losses.S, Losses.M);
          gc.backward(l);
          loss = l.getFloat();
        }
        for (var p : tower.trainableParameters()) {
          adamw.update(p.getId(), p.getArray(), p.getArray().getGradient());
        }
        if (step == 0) {
          first = loss;
        }
        last = loss;
      }
      System.out.printf("ArcMargin on the tiny image tower, last block + projection, 8 AdamW steps: loss %.3f -> %.3f%n",
          first, last);
      assertThat(last).isLessThan(first);
      assertThat(tower.trainableParameters().get(0).getArray().allClose(frozenBefore)).isFalse();

      NDArray tuned = tower.embed(images);
      Path out = dir.resolve("visual.pt");
      tower.save(out);
      assertThat(Files.size(out)).isPositive();
      try (TrainableTower reloaded = TrainableTower.load(out, TrainableTower.projectionOnly())) {
        assertThat(reloaded.embed(images).allClose(tuned, 1e-4, 1e-5, false)).isTrue();
      }
    }
  }
}
