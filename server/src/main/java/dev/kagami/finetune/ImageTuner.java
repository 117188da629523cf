package dev.kagami.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.RgbImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The image side of GPR-FT / 2SFT stage 1: trains the selected parameters of an image tower with
 * ArcMargin against learnable class proxies (s = 30, m = 0.1; the proxies at their own learning rate, the
 * authors' 1e-4 against the backbone's 1e-6), AdamW with a cosine schedule (no weight decay on the proxies,
 * LayerNorm weights, biases and embeddings; gradients clipped per group, backbone and proxies apart, as the
 * authors do), seeded data order and augmentation (resize 1.125x,
 * random crop, flip, colour jitter). Proxies start at the normalised class means of the untrained tower's
 * embeddings of the evaluation views (random proxies cost a short PoC run most of its steps).
 */
public final class ImageTuner {

  /**
   * One training image, its class (0-based), and its captions: indexes into the frozen caption embeddings
   * given to {@link #train} (for MCIP; empty for GPR-FT).
   */
  public record Example(RgbImage image, int label, int[] captions) {

    public Example(RgbImage image, int label) {
      this(image, label, new int[0]);
    }
  }

  /**
   * @param epochs passes over the training set
   * @param batchSize images per step (the last, smaller batch of an epoch is dropped)
   * @param learningRate the backbone's peak learning rate
   * @param weightDecay AdamW decay of the backbone's weights (not of its LayerNorms, biases and embeddings;
   *     the proxies have none)
   * @param proxyLearningRate the class proxies' peak learning rate (an absolute value; the authors' code: 1e-4)
   * @param warmupSteps linear warm-up
   * @param maxGradNorm global gradient-norm clip
   * @param seed data order and augmentation
   * @param captionWeight weight of Multi-Caption ArcMargin against the frozen caption embeddings: 0 is GPR-FT
   *     (ArcMargin only), 0.25 is MCIP ({@code 0.75 ArcMargin + 0.25 MCArcMargin})
   */
  public record Config(int epochs, int batchSize, double learningRate, double weightDecay, double proxyLearningRate,
      int warmupSteps, double maxGradNorm, long seed, double captionWeight) {

    public Config {
      if (epochs < 1 || batchSize < 2 || learningRate <= 0 || weightDecay < 0 || proxyLearningRate <= 0 || warmupSteps < 0
          || maxGradNorm <= 0 || captionWeight < 0 || captionWeight > 1) {
        throw new InvalidInput("invalid fine-tuning configuration " + this);
      }
    }

    /** GPR-FT: ArcMargin only, the proxies at 100x the backbone's rate (the authors' ratio). */
    public static Config gprFt(int epochs, int batchSize, double learningRate, long seed) {
      return new Config(epochs, batchSize, learningRate, 0.05, 100 * learningRate, 0, 1.0, seed, 0);
    }

    public Config withCaptionWeight(double w) {
      return new Config(epochs, batchSize, learningRate, weightDecay, proxyLearningRate, warmupSteps, maxGradNorm, seed, w);
    }

    public Config withWarmup(int steps) {
      return new Config(epochs, batchSize, learningRate, weightDecay, proxyLearningRate, steps, maxGradNorm, seed,
          captionWeight);
    }
  }

  /** After each step: its number (1-based), the loss, the backbone's learning rate, the gradient norm. */
  public record StepLog(int step, int totalSteps, double loss, double learningRate, double gradNorm) {}

  private final TrainableTower tower;
  private final ClipImageTransform transform;
  private final Augment augment;
  private final Engine engine;

  public ImageTuner(TrainableTower tower, ClipImageTransform transform) {
    this.tower = tower;
    this.transform = transform;
    this.augment = new Augment(transform.size());
    this.engine = Engine.getEngine("PyTorch");
  }

  /** GPR-FT: trains in place with ArcMargin only; returns the per-step log. */
  public List<StepLog> train(List<Example> examples, int classes, Config cfg, Consumer<StepLog> progress,
      BooleanSupplier cancelled) {
    return train(examples, classes, new float[0][], cfg, TrainingSession.of(progress, cancelled));
  }

  public List<StepLog> train(List<Example> examples, int classes, float[][] captionEmbeddings, Config cfg,
      Consumer<StepLog> progress, BooleanSupplier cancelled) {
    return train(examples, classes, captionEmbeddings, cfg, TrainingSession.of(progress, cancelled));
  }

  /**
   * Trains in place; with {@code cfg.captionWeight() > 0} (MCIP) each batch adds Multi-Caption ArcMargin of
   * its images against the captions of the batch ({@code captionEmbeddings}: frozen, normalised text
   * embeddings, indexed by {@link Example#captions()}). The session validates every
   * {@link TrainingSession#validateEvery()} steps (and before the first), may stop the loop early, and a
   * checkpoint is written after each validation; if the session's checkpoint folder holds one, training
   * resumes from it (the caller loads the tower from {@link Checkpoint#towerFile}). Epoch {@code e}'s order
   * and step {@code s}'s augmentation come from {@code (seed, e)} and {@code (seed, s)}, so a resumed run
   * computes what an uninterrupted one does. Returns the log of the steps run by this call.
   */
  public List<StepLog> train(List<Example> examples, int classes, float[][] captionEmbeddings, Config cfg,
      TrainingSession session) {
    if (cfg.captionWeight() > 0 && captionEmbeddings.length == 0) {
      throw new InvalidInput("MCIP needs caption embeddings (caption weight " + cfg.captionWeight() + ")");
    }
    if (classes < 2) {
      throw new InvalidInput("ArcMargin needs at least 2 classes, got " + classes);
    }
    for (Example e : examples) {
      if (e.label() < 0 || e.label() >= classes) {
        throw new InvalidInput("label " + e.label() + " is outside 0.." + (classes - 1));
      }
      for (int c : e.captions()) {
        if (c < 0 || c >= captionEmbeddings.length) {
          throw new InvalidInput("caption index " + c + " is outside 0.." + (captionEmbeddings.length - 1));
        }
      }
    }
    int perEpoch = examples.size() / cfg.batchSize();
    if (perEpoch < 1) {
      throw new InvalidInput(examples.size() + " training images are fewer than one batch of " + cfg.batchSize());
    }
    int total = perEpoch * cfg.epochs();
    java.util.Optional<Checkpoint.State> resumed = Checkpoint.read(session.checkpointDir());
    try (NDManager m = engine.newBaseManager()) {
      NDArray proxies = resumed.isPresent()
          ? m.create(resumed.get().extras().get(0), new Shape(classes, resumed.get().extras().get(0).length / classes))
          : classMeans(m, examples, classes);
      proxies.setRequiresGradient(true);
      List<NDArray> backbone = tower.trainableParameters().stream().map(Parameter::getArray).toList();
      List<AdamW.Group> groups = new ArrayList<>(
          AdamW.decaySplit("backbone", tower.trainableNames(), backbone, cfg.learningRate(), cfg.weightDecay()));
      AdamW.Group main = groups.get(0);
      groups.add(new AdamW.Group("proxies", List.of(proxies), cfg.proxyLearningRate(), 0));
      try (AdamW opt = new AdamW(m, groups, 0.9, 0.999, 1e-8, cfg.maxGradNorm(), AdamW.Clipping.PER_GROUP,
          new CosineSchedule(Math.min(cfg.warmupSteps(), total), total, 0))) {
        TrainingLoop.Plan plan = new TrainingLoop.Plan("fine-tuning", examples.size(), cfg.batchSize(), total, cfg.seed());
        return new TrainingLoop(engine).run(plan, m, opt, main, session, resumed, (batchIdx, rnd, batch) -> {
          int n = batchIdx.length;
          int[] labels = new int[n];
          float[] px = new float[n * transform.tensorLength()];
          List<Example> batchExamples = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            Example e = examples.get(batchIdx[i]);
            batchExamples.add(e);
            labels[i] = e.label();
            transform.apply(augment.train(e.image(), rnd), px, i * transform.tensorLength());
          }
          NDArray emb = tower.forward(batch.create(px, new Shape(n, 3, transform.size(), transform.size())));
          NDArray l = Losses.arcMargin(emb, proxies, labels, Losses.S, Losses.M);
          if (cfg.captionWeight() > 0) {
            NDArray[] captions = batchCaptions(batch, batchExamples, captionEmbeddings);
            l = l.mul((float) (1 - cfg.captionWeight()));
            if (captions != null) { // a batch without any caption adds 0, as in the authors' code
              NDArray mc = Losses.multiCaptionArcMargin(emb, captions[0], captions[1], Losses.S, Losses.M, 0);
              l = l.add(mc.mul((float) cfg.captionWeight()));
            }
          }
          return l;
        }, step -> Checkpoint.write(session.checkpointDir(), step, tower, List.of(proxies), opt, session.state()));
      }
    }
  }

  /**
   * The captions of a batch's images, each once ([K, D]), and which belong to which image ([N, K], 1 or 0);
   * null when no image of the batch has a caption.
   */
  private static NDArray[] batchCaptions(NDManager m, List<Example> batch, float[][] table) {
    java.util.LinkedHashMap<Integer, Integer> column = new java.util.LinkedHashMap<>();
    for (Example e : batch) {
      for (int c : e.captions()) {
        column.putIfAbsent(c, column.size());
      }
    }
    if (column.isEmpty()) {
      return null;
    }
    int dim = table[0].length;
    float[] caps = new float[column.size() * dim];
    column.forEach((c, k) -> System.arraycopy(table[c], 0, caps, k * dim, dim));
    float[] pos = new float[batch.size() * column.size()];
    for (int i = 0; i < batch.size(); i++) {
      for (int c : batch.get(i).captions()) {
        pos[i * column.size() + column.get(c)] = 1;
      }
    }
    return new NDArray[] {m.create(caps, new Shape(column.size(), dim)), m.create(pos, new Shape(batch.size(), column.size()))};
  }

  /** Normalised embeddings of the evaluation views (resize 1.125x, centre crop), one row per image. */
  public float[][] embed(List<RgbImage> images, int batchSize) {
    return embed(images, batchSize, augment::eval);
  }

  /**
   * Normalised embeddings of the images as serving and evaluation see them: the model's own CLIP transform
   * of the whole image, nothing before it (give it the images as decoded, not shrunk for training).
   */
  public float[][] embedAsServed(List<RgbImage> images, int batchSize) {
    return embed(images, batchSize, img -> img);
  }

  private float[][] embed(List<RgbImage> images, int batchSize, java.util.function.UnaryOperator<RgbImage> view) {
    float[][] out = new float[images.size()][];
    try (NDManager m = engine.newBaseManager()) {
      for (int from = 0; from < images.size(); from += batchSize) {
        int n = Math.min(batchSize, images.size() - from);
        float[] px = new float[n * transform.tensorLength()];
        for (int i = 0; i < n; i++) {
          transform.apply(view.apply(images.get(from + i)), px, i * transform.tensorLength());
        }
        try (NDManager batch = m.newSubManager()) {
          NDArray e = Losses.l2normalize(tower.embed(batch.create(px, new Shape(n, 3, transform.size(), transform.size()))));
          int dim = (int) e.getShape().get(1);
          float[] flat = e.toFloatArray();
          for (int i = 0; i < n; i++) {
            out[from + i] = java.util.Arrays.copyOfRange(flat, i * dim, (i + 1) * dim);
          }
        }
      }
    }
    return out;
  }

  private NDArray classMeans(NDManager m, List<Example> examples, int classes) {
    float[][] emb = embed(examples.stream().map(Example::image).toList(), 32);
    int dim = emb[0].length;
    float[] means = new float[classes * dim];
    SplittableRandom r = new SplittableRandom(classes);
    for (int i = 0; i < examples.size(); i++) {
      for (int d = 0; d < dim; d++) {
        means[examples.get(i).label() * dim + d] += emb[i][d];
      }
    }
    for (int c = 0; c < classes; c++) {
      double n = 0;
      for (int d = 0; d < dim; d++) {
        n += means[c * dim + d] * means[c * dim + d];
      }
      if (n == 0) { // a class without training images: a random proxy
        for (int d = 0; d < dim; d++) {
          means[c * dim + d] = (float) r.nextGaussian();
        }
      }
    }
    return Losses.l2normalize(m.create(means, new Shape(classes, dim)));
  }
}
