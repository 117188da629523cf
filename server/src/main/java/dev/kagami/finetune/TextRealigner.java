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
 * initial 1/0.07, clamped at 100), AdamW (no decay on LayerNorms, biases, embeddings and the scale), a
 * cosine schedule with warm-up, and clipping per group (tower and scale apart). Each epoch pairs every image
 * with one of its captions, drawn with the seed, so one batch never holds the same image twice; images of a
 * batch whose drawn captions are the same text are each other's positives (grouped InfoNCE), not negatives.
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
  private volatile double logScale = INITIAL_LOG_SCALE;
  private volatile NDArray liveScale;

  public TextRealigner(TrainableTower tower, int contextLength) {
    this.tower = tower;
    this.contextLength = contextLength;
    this.engine = Engine.getEngine("PyTorch");
  }

  /** The logit scale (log): the learned one after {@link #train}, the current one during it (for validation). */
  public double logScale() {
    NDArray live = liveScale;
    return Math.min(live == null ? logScale : live.getFloat(), Math.log(Losses.MAX_LOGIT_SCALE));
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
    int total = perEpoch * cfg.epochs();
    java.util.Optional<Checkpoint.State> resumed = Checkpoint.read(session.checkpointDir());
    try (NDManager m = engine.newBaseManager()) {
      NDArray scale = m.create(resumed.isPresent() ? resumed.get().extras().get(0) : new float[] {(float) logScale});
      scale.setRequiresGradient(true);
      liveScale = scale;
      List<NDArray> text = tower.trainableParameters().stream().map(Parameter::getArray).toList();
      List<AdamW.Group> groups = new java.util.ArrayList<>(
          AdamW.decaySplit("text", tower.trainableNames(), text, cfg.learningRate(), cfg.weightDecay()));
      AdamW.Group main = groups.get(0);
      groups.add(new AdamW.Group("logit-scale", List.of(scale), cfg.learningRate(), 0));
      List<ImageTuner.StepLog> log;
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.98, 1e-6, cfg.maxGradNorm(), AdamW.Clipping.PER_GROUP,
          new CosineSchedule(Math.min(cfg.warmupSteps(), total), total, 0))) {
        TrainingLoop.Plan plan = new TrainingLoop.Plan("re-alignment", examples.size(), cfg.batchSize(), total, cfg.seed());
        log = new TrainingLoop(engine).run(plan, m, opt, main, session, resumed, (batchIdx, rnd, batch) -> {
          int n = batchIdx.length;
          long[][] drawn = new long[n][];
          for (int i = 0; i < n; i++) {
            Example e = examples.get(batchIdx[i]);
            drawn[i] = e.captions().get(rnd.nextInt(e.captions().size()));
          }
          return pairLoss(batch, batchIdx, examples, drawn, scale);
        }, step -> Checkpoint.write(session.checkpointDir(), step, tower, List.of(scale), opt, session.state()));
      } finally {
        logScale = Math.min(scale.getFloat(), Math.log(Losses.MAX_LOGIT_SCALE));
        liveScale = null;
      }
      return log;
    }
  }

  /** Grouped InfoNCE of the images {@code idx} against the captions {@code drawn} for them (same text, same group). */
  private NDArray pairLoss(NDManager batch, int[] idx, List<Example> examples, long[][] drawn, NDArray scale) {
    int n = idx.length;
    int dim = examples.get(0).imageEmbedding().length;
    float[] img = new float[n * dim];
    long[] ids = new long[n * contextLength];
    int[] groups = new int[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(examples.get(idx[i]).imageEmbedding(), 0, img, i * dim, dim);
      System.arraycopy(drawn[i], 0, ids, i * contextLength, contextLength);
      groups[i] = i;
      for (int j = 0; j < i; j++) {
        if (java.util.Arrays.equals(drawn[i], drawn[j])) {
          groups[i] = groups[j];
          break;
        }
      }
    }
    NDArray images = batch.create(img, new Shape(n, dim));
    NDArray tokens = batch.create(ids, new Shape(n, contextLength));
    return Losses.infoNce(images, tower.forward(tokens), scale, groups);
  }

  /**
   * The loss training minimises, on {@code examples} in order (each image with its first caption), in
   * batches of {@code batchSize} (a last batch of one is left out), at the current logit scale, without
   * gradients: a validation split's InfoNCE.
   */
  public double loss(List<Example> examples, int batchSize) {
    double sum = 0;
    int batches = 0;
    boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    try (NDManager m = engine.newBaseManager()) {
      NDArray scale = m.create(new float[] {(float) logScale()});
      for (int from = 0; from + 1 < examples.size(); from += batchSize) { // at least two pairs left
        int n = Math.min(batchSize, examples.size() - from);
        int[] idx = new int[n];
        long[][] drawn = new long[n][];
        for (int i = 0; i < n; i++) {
          idx[i] = from + i;
          drawn[i] = examples.get(from + i).captions().get(0);
        }
        try (NDManager b = m.newSubManager()) {
          sum += pairLoss(b, idx, examples, drawn, scale).getFloat();
          batches++;
        }
      }
    } finally {
      ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
    }
    return batches == 0 ? Double.NaN : sum / batches;
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
