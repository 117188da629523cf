package dev.kagami.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.kagami.error.KagamiException.InvalidInput;
import java.util.List;
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
    return train(examples, cfg, TrainingSession.of(progress, cancelled));
  }

  /**
   * Trains the text tower in place. Validation, early stopping, checkpoints and resuming work as in
   * {@link ImageTuner#train(List, int, float[][], ImageTuner.Config, TrainingSession)}; the checkpoint also
   * keeps the logit scale. Returns the log of the steps run by this call.
   */
  public List<ImageTuner.StepLog> train(List<Example> examples, Config cfg, TrainingSession session) {
    int perEpoch = examples.size() / cfg.batchSize();
    if (perEpoch < 1) {
      throw new InvalidInput(examples.size() + " images are fewer than one batch of " + cfg.batchSize());
    }
    int dim = examples.get(0).imageEmbedding().length;
    int total = perEpoch * cfg.epochs();
    java.util.Optional<Checkpoint.State> resumed = Checkpoint.read(session.checkpointDir());
    try (NDManager m = engine.newBaseManager()) {
      NDArray scale = m.create(resumed.isPresent() ? resumed.get().extras().get(0) : new float[] {(float) logScale});
      scale.setRequiresGradient(true);
      List<NDArray> text = tower.trainableParameters().stream().map(Parameter::getArray).toList();
      AdamW.Group main = new AdamW.Group("text", text, cfg.learningRate(), cfg.weightDecay());
      List<AdamW.Group> groups = List.of(main, new AdamW.Group("logit-scale", List.of(scale), cfg.learningRate(), 0));
      List<ImageTuner.StepLog> log;
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.98, 1e-6, cfg.maxGradNorm(),
          new CosineSchedule(Math.min(cfg.warmupSteps(), total), total, 0))) {
        TrainingLoop.Plan plan = new TrainingLoop.Plan("re-alignment", examples.size(), cfg.batchSize(), total, cfg.seed());
        log = new TrainingLoop(engine).run(plan, m, opt, main, session, resumed, (batchIdx, rnd, batch) -> {
          int n = batchIdx.length;
          float[] img = new float[n * dim];
          long[] ids = new long[n * contextLength];
          for (int i = 0; i < n; i++) {
            Example e = examples.get(batchIdx[i]);
            System.arraycopy(e.imageEmbedding(), 0, img, i * dim, dim);
            long[] caption = e.captions().get(rnd.nextInt(e.captions().size()));
            System.arraycopy(caption, 0, ids, i * contextLength, contextLength);
          }
          NDArray images = batch.create(img, new Shape(n, dim));
          NDArray tokens = batch.create(ids, new Shape(n, contextLength));
          return Losses.infoNce(images, tower.forward(tokens), scale);
        }, step -> Checkpoint.write(session.checkpointDir(), step, tower, List.of(scale), opt, session.state()));
      }
      logScale = Math.min(scale.getFloat(), Math.log(Losses.MAX_LOGIT_SCALE));
      return log;
    }
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
