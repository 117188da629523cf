package dev.kagami.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.RgbImage;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Contrastive pretraining (CLIP's recipe): both towers train together with symmetric InfoNCE and a
 * learnable, clamped logit scale; AdamW, cosine schedule with warm-up, gradient clipping, the training
 * augmentation of {@link Augment}. Pairs of the same group (for class-template captions: the class) are
 * all positives of each other ({@link Losses#infoNce(NDArray, NDArray, NDArray, int[])}).
 *
 * <p>Every random draw of step {@code s} comes from a source seeded by {@code (seed, s)} and epoch
 * {@code e}'s order from {@code (seed, e)}, so a run repeats exactly and its batches do not depend on how
 * it was interrupted.
 */
public final class ContrastivePretrainer {

  /** An image, its captions as token-id rows (one drawn per step), and its positive group. */
  public record Example(RgbImage image, List<long[]> captions, int group) {

    public Example {
      captions = List.copyOf(captions);
      if (captions.isEmpty()) {
        throw new InvalidInput("a training image without captions");
      }
    }
  }

  /**
   * @param steps optimiser steps
   * @param batchSize pairs per step
   * @param learningRate peak learning rate (both towers and the logit scale)
   * @param weightDecay AdamW decay of the towers
   * @param warmupSteps linear warm-up
   * @param maxGradNorm global gradient-norm clip
   * @param seed data order, caption choice and augmentation
   */
  public record Config(int steps, int batchSize, double learningRate, double weightDecay, int warmupSteps,
      double maxGradNorm, long seed) {

    public Config {
      if (steps < 1 || batchSize < 2 || learningRate <= 0 || weightDecay < 0 || warmupSteps < 0 || maxGradNorm <= 0) {
        throw new InvalidInput("invalid pretraining configuration " + this);
      }
    }
  }

  private final TrainableTower visual;
  private final TrainableTower textual;
  private final ClipImageTransform transform;
  private final Augment augment;
  private final int contextLength;
  private final Engine engine;
  private double logScale = TextRealigner.INITIAL_LOG_SCALE;

  public ContrastivePretrainer(TrainableTower visual, TrainableTower textual, ClipImageTransform transform,
      int contextLength) {
    this.visual = visual;
    this.textual = textual;
    this.transform = transform;
    this.augment = new Augment(transform.size());
    this.contextLength = contextLength;
    this.engine = Engine.getEngine("PyTorch");
  }

  /** The learned logit scale (log), after {@link #train}. */
  public double logScale() {
    return logScale;
  }

  public List<ImageTuner.StepLog> train(List<Example> examples, Config cfg, Consumer<ImageTuner.StepLog> progress,
      BooleanSupplier cancelled) {
    if (examples.size() < cfg.batchSize()) {
      throw new InvalidInput(examples.size() + " pairs are fewer than one batch of " + cfg.batchSize());
    }
    for (Example e : examples) {
      for (long[] c : e.captions()) {
        if (c.length != contextLength) {
          throw new InvalidInput("caption of " + c.length + " tokens; the model's context is " + contextLength);
        }
      }
    }
    try (NDManager m = engine.newBaseManager()) {
      NDArray scale = m.create(new float[] {(float) logScale});
      scale.setRequiresGradient(true);
      List<NDArray> towers = Stream.concat(visual.trainableParameters().stream(), textual.trainableParameters().stream())
          .map(Parameter::getArray).toList();
      AdamW.Group main = new AdamW.Group("towers", towers, cfg.learningRate(), cfg.weightDecay());
      List<AdamW.Group> groups = List.of(main, new AdamW.Group("logit-scale", List.of(scale), cfg.learningRate(), 0));
      List<ImageTuner.StepLog> log;
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.98, 1e-6, cfg.maxGradNorm(),
          new CosineSchedule(Math.min(cfg.warmupSteps(), cfg.steps()), cfg.steps(), 0))) {
        TrainingLoop.Plan plan = new TrainingLoop.Plan("pretraining", examples.size(), cfg.batchSize(), cfg.steps(), cfg.seed());
        log = new TrainingLoop(engine).run(plan, m, opt, main, TrainingSession.of(progress, cancelled),
            java.util.Optional.empty(), (batchIdx, rnd, batch) -> {
              int n = batchIdx.length;
              float[] px = new float[n * transform.tensorLength()];
              long[] ids = new long[n * contextLength];
              int[] batchGroups = new int[n];
              for (int i = 0; i < n; i++) {
                Example e = examples.get(batchIdx[i]);
                transform.apply(augment.train(e.image(), rnd), px, i * transform.tensorLength());
                System.arraycopy(e.captions().get(rnd.nextInt(e.captions().size())), 0, ids, i * contextLength, contextLength);
                batchGroups[i] = e.group();
              }
              NDArray images = batch.create(px, new Shape(n, 3, transform.size(), transform.size()));
              NDArray tokens = batch.create(ids, new Shape(n, contextLength));
              return Losses.infoNce(visual.forward(images), textual.forward(tokens), scale, batchGroups);
            }, step -> {});
      }
      logScale = Math.min(scale.getFloat(), Math.log(Losses.MAX_LOGIT_SCALE));
      return log;
    }
  }
}
