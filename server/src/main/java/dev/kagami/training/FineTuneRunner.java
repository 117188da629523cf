package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.evaluation.EvaluationReport;
import dev.kagami.evaluation.Embeddings;
import dev.kagami.evaluation.ImageRetrieval;
import dev.kagami.finetune.Checkpoint;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.finetune.TunedPackageWriter;
import dev.kagami.model.ModelPackage;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.PilBicubic;
import dev.kagami.preprocess.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Runs one fine-tuning run to its end: the image stage (GPR-FT or MCIP), the optional re-alignment stage,
 * the tuned package, and the before/after evaluation on the test split. Each stage validates at an
 * interval on the validation split (image stage: image-to-image mAP; re-alignment: see {@link RealignStage}),
 * keeps its best weights by validation (never by test) and stops early when validation stops improving.
 *
 * <p>All state lives in the run's folder, so a run that stopped (crash, restart) resumes where it was:
 * a finished stage leaves {@code <stage>/done} and its best weights ({@code <stage>/best-<step>.pt}); a
 * stage in progress resumes from its last checkpoint ({@code <stage>/checkpoint}, see {@link Checkpoint}).
 */
public final class FineTuneRunner {

  public static final String IMAGE = "image";
  public static final String REALIGN = "realign";

  /** Class-label captions, for LABEL_TEMPLATES and for images without captions of their own. */
  static final List<String> LABEL_TEMPLATES = List.of("a photo of a {}.", "a picture of a {}.", "an image of a {}.", "a {}.");

  /** What the run reports as it goes. */
  public interface Listener {
    void stage(String stage, int totalSteps);

    void step(String stage, ImageTuner.StepLog s);

    void validation(String stage, int step, Double loss, Map<String, Double> kpis, boolean best);
  }

  /** Evaluates a model package on the run's dataset (test split). */
  public interface Evaluate {
    EvaluationReport evaluate(String name, String version);
  }

  /**
   * @param bestSteps each stage's step of its best validation (0: no step beat the starting weights, which
   *     are then what the stage hands on)
   */
  public record Result(String resultModel, double parity, Optional<EvaluationReport> base, Optional<EvaluationReport> tuned,
      Map<String, Double> timings, Map<String, Integer> bestSteps) {}

  private final ImageDecoder decoder;
  private final Path repository;

  private final dev.kagami.concurrent.Parallel parallel;
  private BooleanSupplier suspended = () -> false;

  /** A runner whose loops run on the calling thread (tests). */
  public FineTuneRunner(ImageDecoder decoder, Path repository) {
    this(decoder, repository, dev.kagami.concurrent.Parallel.SEQUENTIAL);
  }

  /** {@code parallel}: where image decoding, validation metrics and caption mining run. */
  public FineTuneRunner(ImageDecoder decoder, Path repository, dev.kagami.concurrent.Parallel parallel) {
    this.parallel = parallel;
    this.decoder = decoder;
    this.repository = repository;
  }

  /**
   * This runner with {@code suspended}: when it turns true (the process is stopping) the stage in progress
   * writes a checkpoint at its current step and the run throws {@code Suspended}; it resumes there.
   */
  public FineTuneRunner suspendingWhen(BooleanSupplier suspended) {
    FineTuneRunner r = new FineTuneRunner(decoder, repository, parallel);
    r.suspended = suspended;
    return r;
  }

  public Result run(RunSpec spec, ModelPackage base, Dataset dataset, Map<String, Split> splits, Path runDir, Listener listener,
      BooleanSupplier cancelled, Optional<Evaluate> evaluate) {
    Map<String, Double> timings = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    List<DatasetItem> allTrain = Splits.select(dataset, splits, Split.TRAIN);
    List<DatasetItem> train = spec.maxTrainImages() > 0 && allTrain.size() > spec.maxTrainImages()
        ? Subsample.evenly(allTrain, spec.maxTrainImages(), spec.seed()) : allTrain;
    List<DatasetItem> val = Splits.select(dataset, splits, Split.VALIDATION);
    if (train.size() < spec.batchSize()) {
      throw new InvalidInput("dataset " + dataset.name() + " has " + train.size() + " training images, fewer than one batch of "
          + spec.batchSize());
    }
    if (val.isEmpty()) {
      throw new InvalidInput("dataset " + dataset.name() + " has no validation split; a run keeps its best checkpoint by "
          + "validation");
    }
    if (val.stream().collect(java.util.stream.Collectors.groupingBy(DatasetItem::label, java.util.stream.Collectors.counting()))
        .values().stream().noneMatch(n -> n >= 2)) {
      throw new InvalidInput("the validation split of dataset " + dataset.name() + " has no class with two or more images, so "
          + "image-to-image retrieval cannot be measured to keep the best checkpoint; import it with a larger validation fraction");
    }
    ClipImageTransform transform = new ClipImageTransform(base.manifest().image());
    int side = (int) Math.round(transform.size() * 1.125);
    listener.stage("prepare", train.size() + val.size());
    List<RgbImage> trainImages = decode(train, side);
    List<RgbImage> valImages = decode(val, side);
    int[] trainLabels = train.stream().mapToInt(it -> dataset.classId(it.label())).toArray();
    int[] valLabels = val.stream().mapToInt(it -> dataset.classId(it.label())).toArray();
    timings.put("prepare", seconds(t0));

    Path imageDir = runDir.resolve(IMAGE);
    Path realignDir = runDir.resolve(REALIGN);
    try (ClipTokenizer tok = new ClipTokenizer(base.tokenizer(), base.manifest().text(), 10_000)) {
      CaptionTable captions = CaptionTable.build(spec, base, dataset, train, trainImages, tok, transform, parallel);
      // Stage 1: the image tower.
      long t1 = System.nanoTime();
      Path visualBest = StageDirectory.run(imageDir, () -> {
        try (TrainableTower visual = TrainableTower.select(
            Checkpoint.towerFile(imageDir.resolve("checkpoint")).orElse(base.visualTorchScript().orElseThrow()), selector(spec))) {
          ImageTuner tuner = new ImageTuner(visual, transform);
          List<ImageTuner.Example> ex = new ArrayList<>();
          for (int i = 0; i < train.size(); i++) {
            ex.add(new ImageTuner.Example(trainImages.get(i), trainLabels[i],
                spec.method().usesCaptions() ? captions.perImage().get(i) : new int[0]));
          }
          ImageTuner.Config cfg = new ImageTuner.Config(spec.epochs(), spec.batchSize(), spec.learningRate(), 0.05,
              spec.proxyLearningRate(), 0, 1.0, spec.seed(), spec.method().usesCaptions() ? 0.25 : 0);
          int perEpoch = train.size() / spec.batchSize();
          listener.stage(IMAGE, perEpoch * spec.epochs());
          StageSession session = new StageSession(IMAGE, imageDir, spec, perEpoch, perEpoch * spec.epochs(), listener, cancelled, suspended, "i2i_map", visual::save,
              () -> {
                Embeddings e = Embeddings.of(List.of(tuner.embed(valImages, 64)));
                ImageRetrieval.Result r = ImageRetrieval.evaluate(parallel, e, valLabels, dataset.classes().size());
                return Map.of("i2i_map", r.map(), "i2i_r1", r.recallAt1());
              });
          tuner.train(ex, dataset.classes().size(), spec.method().usesCaptions() ? captions.embeddings() : new float[0][], cfg,
              session);
          return session.bestStep;
        }
      });
      timings.put(IMAGE, seconds(t1));

      // Stage 2: re-alignment of the text tower against the tuned image embeddings.
      Optional<Path> textualBest = Optional.empty();
      if (spec.method().realigns()) {
        long t2 = System.nanoTime();
        textualBest = Optional.of(new RealignStage(decoder, parallel).run(new RealignStage.Inputs(spec, base, dataset, train, val,
            valLabels, captions, tok, transform, visualBest), realignDir, listener, cancelled, suspended));
        timings.put(REALIGN, seconds(t2));
      }

      // The tuned package, from the best weights of each stage.
      long t3 = System.nanoTime();
      listener.stage("package", 1);
      Path target = repository.resolve(base.manifest().name()).resolve(spec.newVersion());
      double parity;
      if (Files.isRegularFile(target.resolve("kagami-model.json"))) {
        parity = Double.NaN; // written before a restart; the writer accepted it then
      } else {
        // loaded with the run's selection: the package writer writes the parameters that trained into the ONNX
        try (TrainableTower v = TrainableTower.select(visualBest, selector(spec));
            TrainableTower t = textualBest.isPresent() ? TrainableTower.select(textualBest.get(), RealignStage.selector(spec))
                : null) {
          String description = String.format(Locale.ROOT, "%s fine-tuned from %s by Kagami: %s on dataset %s (%d training images, "
              + "seed %d, %s%s), best checkpoints by validation.", base.manifest().name(), base.id(), spec.method(), dataset.name(),
              train.size(), spec.seed(), spec.trainable(), spec.trainable() == RunSpec.Trainable.LAST_BLOCKS
                  ? " " + spec.lastBlocks() : "");
          parity = new TunedPackageWriter().write(base, repository, spec.newVersion(), Optional.of(v), Optional.ofNullable(t),
              description).parity();
        }
      }
      timings.put("package", seconds(t3));

      // Before and after, on the test split.
      Optional<EvaluationReport> before = Optional.empty();
      Optional<EvaluationReport> after = Optional.empty();
      if (evaluate.isPresent()) {
        long t4 = System.nanoTime();
        listener.stage("evaluate", 2);
        before = Optional.of(evaluate.get().evaluate(base.manifest().name(), base.manifest().version()));
        after = Optional.of(evaluate.get().evaluate(base.manifest().name(), spec.newVersion()));
        timings.put("evaluate", seconds(t4));
      }
      Map<String, Integer> bestSteps = new LinkedHashMap<>();
      bestSteps.put(IMAGE, StageDirectory.bestStep(visualBest));
      textualBest.ifPresent(p -> bestSteps.put(REALIGN, StageDirectory.bestStep(p)));
      return new Result(base.manifest().name() + "/" + spec.newVersion(), parity, before, after, timings, bestSteps);
    }
  }

  private static Function<List<String>, Predicate<String>> selector(RunSpec spec) {
    return switch (spec.trainable()) {
      case PROJECTION -> names -> TrainableTower.projectionOnly();
      case LAST_BLOCKS -> TrainableTower.lastBlocksOf(spec.lastBlocks());
      case ALL -> names -> n -> true;
    };
  }

  private List<RgbImage> decode(List<DatasetItem> items, int side) {
    RgbImage[] out = new RgbImage[items.size()];
    parallel.forEach(items.size(), i -> out[i] = shrink(decoder.decode(items.get(i).source().read()), side));
    return List.of(out);
  }

  /** The image scaled down (never up) so its shorter side is {@code side}: all the training views need. */
  static RgbImage shrink(RgbImage img, int side) {
    int s = Math.min(img.width(), img.height());
    if (s <= side) {
      return img;
    }
    int w = (int) Math.max(side, Math.round((double) img.width() * side / s));
    int h = (int) Math.max(side, Math.round((double) img.height() * side / s));
    return PilBicubic.resize(img, w, h);
  }

  private static double seconds(long since) {
    return Math.round((System.nanoTime() - since) / 1e7) / 100.0;
  }
}
