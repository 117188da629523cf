package dev.kagami.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.kagami.error.KagamiException.Cancelled;
import dev.kagami.error.KagamiException.InvalidInput;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Re-alignment (Re-A, 2SFT's stage 2): the image embeddings are fixed (those of the tuned image tower) and
 * the text tower is trained with symmetric InfoNCE against them, with a learnable logit scale (CLIP's
 * initial 1/0.07, clamped at 100), AdamW, a cosine schedule and clipping. Each epoch pairs every image with
 * one of its captions, drawn with the seed, so one batch never holds the same image twice.
 */
public final class TextRealigner {

  /** A fixed, normalised image embedding and the token ids of its captions (at least one). */
  public record Example(float[] imageEmbedding, List<long[]> captions) {

    public Example {
      captions = List.copyOf(captions);
      if (captions.isEmpty()) {
        throw new InvalidInput("an image without captions cannot be re-aligned");
      }
    }
  }

  /**
   * @param epochs passes over the images
   * @param batchSize pairs per step (the last, smaller batch of an epoch is dropped)
   * @param learningRate peak learning rate of the text tower and the logit scale
   * @param weightDecay AdamW decay of the text tower
   * @param warmupSteps linear warm-up
   * @param maxGradNorm global gradient-norm clip
   * @param seed data order and caption choice
   */
  public record Config(int epochs, int batchSize, double learningRate, double weightDecay, int warmupSteps,
      double maxGradNorm, long seed) {

    public Config {
      if (epochs < 1 || batchSize < 2 || learningRate <= 0 || weightDecay < 0 || warmupSteps < 0 || maxGradNorm <= 0) {
        throw new InvalidInput("invalid re-alignment configuration " + this);
      }
    }
  }

  /** CLIP's initial logit scale, log(1 / 0.07). */
  static final double INITIAL_LOG_SCALE = Math.log(1 / 0.07);

  private final TrainableTower tower;
  private final int contextLength;
  private final Engine engine;
  private double logScale = INITIAL_LOG_SCALE;

  public TextRealigner(TrainableTower tower, int contextLength) {
    this.tower = tower;
    this.contextLength = contextLength;
    this.engine = Engine.getEngine("PyTorch");
  }

  /** The learned logit scale (log), after {@link #train}. */
  public double logScale() {
    return logScale;
  }

  public List<ImageTuner.StepLog> train(List<Example> examples, Config cfg, Consumer<ImageTuner.StepLog> progress,
      BooleanSupplier cancelled) {
    int perEpoch = examples.size() / cfg.batchSize();
    if (perEpoch < 1) {
      throw new InvalidInput(examples.size() + " images are fewer than one batch of " + cfg.batchSize());
    }
    int dim = examples.get(0).imageEmbedding().length;
    int total = perEpoch * cfg.epochs();
    SplittableRandom rnd = new SplittableRandom(cfg.seed());
    List<ImageTuner.StepLog> log = new ArrayList<>();
    try (NDManager m = engine.newBaseManager()) {
      NDArray scale = m.create(new float[] {(float) logScale});
      scale.setRequiresGradient(true);
      List<NDArray> text = tower.trainableParameters().stream().map(Parameter::getArray).toList();
      List<AdamW.Group> groups = List.of(new AdamW.Group("text", text, cfg.learningRate(), cfg.weightDecay()),
          new AdamW.Group("logit-scale", List.of(scale), cfg.learningRate(), 0));
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.98, 1e-6, cfg.maxGradNorm(),
          new CosineSchedule(Math.min(cfg.warmupSteps(), total), total, 0))) {
        int step = 0;
        for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
          int[] order = new int[examples.size()];
          for (int i = 0; i < order.length; i++) {
            order[i] = i;
          }
          for (int i = order.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
          }
          for (int b = 0; b < perEpoch; b++) {
            if (cancelled.getAsBoolean()) {
              throw new Cancelled("re-alignment cancelled at step " + step + " of " + total);
            }
            double lr = opt.learningRate(groups.get(0));
            float[] img = new float[cfg.batchSize() * dim];
            long[] ids = new long[cfg.batchSize() * contextLength];
            for (int i = 0; i < cfg.batchSize(); i++) {
              Example e = examples.get(order[b * cfg.batchSize() + i]);
              System.arraycopy(e.imageEmbedding(), 0, img, i * dim, dim);
              long[] caption = e.captions().get(rnd.nextInt(e.captions().size()));
              System.arraycopy(caption, 0, ids, i * contextLength, contextLength);
            }
            double loss;
            try (NDManager batch = m.newSubManager()) {
              NDArray images = batch.create(img, new Shape(cfg.batchSize(), dim));
              NDArray tokens = batch.create(ids, new Shape(cfg.batchSize(), contextLength));
              try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray l = Losses.infoNce(images, tower.forward(tokens), scale);
                gc.backward(l);
                loss = l.getFloat();
              }
            }
            AdamW.StepInfo info = opt.step();
            step++;
            ImageTuner.StepLog s = new ImageTuner.StepLog(step, total, loss, lr, info.gradNorm());
            log.add(s);
            progress.accept(s);
          }
        }
      }
      logScale = Math.min(scale.getFloat(), Math.log(Losses.MAX_LOGIT_SCALE));
    }
    return log;
  }

  /** Normalised text embeddings of token-id rows. */
  public float[][] embed(List<long[]> captions) {
    float[][] out = new float[captions.size()][];
    try (NDManager m = engine.newBaseManager()) {
      long[] ids = new long[captions.size() * contextLength];
      for (int i = 0; i < captions.size(); i++) {
        System.arraycopy(captions.get(i), 0, ids, i * contextLength, contextLength);
      }
      NDArray e = Losses.l2normalize(tower.embed(m.create(ids, new Shape(captions.size(), contextLength))));
      int dim = (int) e.getShape().get(1);
      float[] flat = e.toFloatArray();
      for (int i = 0; i < captions.size(); i++) {
        out[i] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
      }
    }
    return out;
  }
}
