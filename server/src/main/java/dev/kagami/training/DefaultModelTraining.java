package dev.kagami.training;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.finetune.ContrastivePretrainer;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.finetune.TunedPackageWriter;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.RgbImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Trains Kagami's own CLIP from scratch (contrastive pretraining of both towers) on the training splits of
 * Fashion-MNIST (captions from class templates) and OpenClipart (captions from file names and folders).
 * The splits are those of {@code bin/kagami-evaluate} with the same seed and fractions, so the evaluation
 * split it reports on is never seen in training. Both steps are run by {@code bin/kagami-train-default}
 * ({@code kagami train-default corpus} and {@code kagami train-default train}).
 */
public final class DefaultModelTraining {

  /** The training templates of Fashion-MNIST's class captions (the evaluation uses OpenAI's 80 templates). */
  static final List<String> TRAIN_TEMPLATES = List.of("a photo of a {}.", "a {}.", "a picture of a {}.",
      "a product image of a {}.", "a small grayscale image of a {}.", "a catalogue item: {}.");

  /** The evaluation command's split: seed 42, 80/10/10, stratified by class. */
  public static final long SPLIT_SEED = 42;
  public static final Splits.Fractions FRACTIONS = new Splits.Fractions(0.8, 0.1, 0.1);

  /**
   * The icon-theme benchmark's split ({@code bin/kagami-paper-table --class-disjoint}'s default): classes
   * drawn apart with seed 7, 60/20/20. The default model trains on its train classes only, so the benchmark's
   * validation and test classes are never in its pretraining.
   */
  public static final long BENCHMARK_SPLIT_SEED = 7;
  public static final Splits.Fractions BENCHMARK_FRACTIONS = new Splits.Fractions(0.6, 0.2, 0.2);
  /** How often each icon of the train classes is repeated in the examples (they are few beside Fashion-MNIST). */
  static final int ICON_REPEATS = 3;

  /** The training splits of the datasets, and the Fashion-MNIST dataset for its classes. No icons: empty. */
  public record Corpus(Dataset fashionMnist, Dataset openClipart, List<DatasetItem> fashionTrain, List<DatasetItem> clipartTrain,
      Optional<Dataset> icons, List<DatasetItem> iconTrain) {}

  /** The settings of one training: the step count, batch, peak learning rate, warm-up and seed. */
  public record Settings(int steps, int batch, double learningRate, int warmup, long seed) {}

  private final ImageDecoder decoder;
  private final dev.kagami.concurrent.Parallel cpu;
  private final java.io.PrintWriter log;

  public DefaultModelTraining(ImageDecoder decoder, dev.kagami.concurrent.Parallel cpu, java.io.PrintWriter log) {
    this.decoder = decoder;
    this.cpu = cpu;
    this.log = log;
  }

  /**
   * Imports the datasets and selects their training splits (the evaluation's split; for the icon-theme
   * benchmark's manifest, when given, the train classes of its class-disjoint split).
   */
  public Corpus corpus(Path fashion, Path clipart, Optional<Path> iconManifest) throws IOException {
    DatasetImporter importer = new DatasetImporter(decoder, cpu);
    Dataset fm = importer.fashionMnist(fashion, "fashion-mnist", 0, ImportProgress.NONE);
    Dataset oc = importer.openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
    Optional<Dataset> icons = Optional.empty();
    List<DatasetItem> iconTrain = List.of();
    if (iconManifest.isPresent()) {
      Dataset d = importer.manifest(iconManifest.get(), "icon-themes", ImportProgress.NONE);
      icons = Optional.of(d);
      iconTrain = Splits.select(d, Splits.classDisjoint(d, BENCHMARK_SPLIT_SEED, BENCHMARK_FRACTIONS), Split.TRAIN);
    }
    return new Corpus(fm, oc, Splits.select(fm, Splits.stratified(fm, SPLIT_SEED, FRACTIONS), Split.TRAIN),
        Splits.select(oc, Splits.stratified(oc, SPLIT_SEED, FRACTIONS), Split.TRAIN), icons, iconTrain);
  }

  /** The icon classes trained on, sorted (the benchmark's train split), one per line. */
  public void writeIconClasses(Path out, Corpus corpus) throws IOException {
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.write(out, corpus.iconTrain().stream().map(DatasetItem::label).distinct().sorted().toList(), StandardCharsets.UTF_8);
  }

  /** Training captions, and every evaluation prompt (so each has its tokens; no image is involved). */
  public void writeCorpus(Path out, Corpus corpus) throws IOException {
    Dataset fm = corpus.fashionMnist();
    Dataset oc = corpus.openClipart();
    List<DatasetItem> ocTrain = corpus.clipartTrain();
    Set<String> lines = new LinkedHashSet<>();
    for (String label : fm.classes()) {
      for (String t : TRAIN_TEMPLATES) {
        lines.add(t.replace("{}", PromptTemplates.className(label)));
      }
    }
    for (DatasetItem it : ocTrain) {
      lines.addAll(it.captions());
    }
    for (DatasetItem it : corpus.iconTrain()) { // only the train classes' captions: no test class name is in the corpus
      lines.addAll(it.captions());
    }
    for (Dataset d : List.of(fm, oc)) {
      for (String label : d.classes()) {
        for (String t : PromptTemplates.OPENAI_IMAGENET) {
          lines.add(t.replace("{}", PromptTemplates.className(label)));
        }
      }
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.write(out, lines, StandardCharsets.UTF_8);
    log.println("wrote " + lines.size() + " lines to " + out);
  }

  /** Trains from the initial package {@code initDir} and writes {@code repository/<name>/<version>}. */
  public void train(Path initDir, Path repository, String version, Settings settings, Corpus corpus) {
    Dataset fm = corpus.fashionMnist();
    List<DatasetItem> fmTrain = corpus.fashionTrain();
    List<DatasetItem> ocTrain = corpus.clipartTrain();
    ModelPackage init = new ModelPackageReader().read(initDir.toAbsolutePath());
    ContrastivePretrainer.Config cfg = new ContrastivePretrainer.Config(settings.steps(), settings.batch(),
        settings.learningRate(), 0.1, settings.warmup(), 1.0, settings.seed());
    ClipImageTransform transform = new ClipImageTransform(init.manifest().image());
    int keep = (int) Math.round(transform.size() * 1.125);
    long t0 = System.nanoTime();
    List<ContrastivePretrainer.Example> examples;
    try (ClipTokenizer tok = new ClipTokenizer(init.tokenizer(), init.manifest().text(), 10_000)) {
      List<List<long[]>> classCaptions = fm.classes().stream()
          .map(label -> TRAIN_TEMPLATES.stream().map(t -> tok.tokenize(t.replace("{}", PromptTemplates.className(label)))).toList())
          .toList();
      List<DatasetItem> iconTrain = corpus.iconTrain();
      List<DatasetItem> all = new ArrayList<>(fmTrain);
      all.addAll(ocTrain);
      all.addAll(iconTrain);
      int iconsFrom = fmTrain.size() + ocTrain.size();
      ContrastivePretrainer.Example[] ex = new ContrastivePretrainer.Example[all.size()];
      List<long[]>[] caps = new List[all.size()];
      for (int i = fmTrain.size(); i < all.size(); i++) {
        caps[i] = all.get(i).captions().stream().map(tok::tokenize).toList();
      }
      cpu.forEach(all.size(), i -> {
        DatasetItem it = all.get(i);
        RgbImage img = FineTuneRunner.shrink(decoder.decode(it.source().read()), keep);
        if (i < fmTrain.size()) {
          ex[i] = new ContrastivePretrainer.Example(img, classCaptions.get(fm.classId(it.label())), fm.classId(it.label()));
        } else if (i < iconsFrom) {
          ex[i] = new ContrastivePretrainer.Example(img, caps[i], -1 - i); // each clip art its own group
        } else { // one icon name drawn by several themes: one group, so its drawings are each other's positives
          ex[i] = new ContrastivePretrainer.Example(img, caps[i], fm.classes().size()
              + corpus.icons().orElseThrow().classId(it.label()));
        }
      });
      List<ContrastivePretrainer.Example> list = new ArrayList<>(List.of(ex));
      for (int r = 1; r < ICON_REPEATS; r++) {
        list.addAll(List.of(ex).subList(iconsFrom, ex.length));
      }
      examples = list;
    }
    log.printf(Locale.ROOT, "decoded %d Fashion-MNIST + %d OpenClipart + %d icon training images (%.0f s)%n", fmTrain.size(),
        ocTrain.size(), corpus.iconTrain().size(), (System.nanoTime() - t0) / 1e9);
    try (TrainableTower visual = TrainableTower.load(init.visualTorchScript().orElseThrow(), n -> true);
        TrainableTower textual = TrainableTower.load(init.textualTorchScript().orElseThrow(), n -> true)) {
      ContrastivePretrainer trainer = new ContrastivePretrainer(visual, textual, transform, init.manifest().text().contextLength());
      long start = System.nanoTime();
      double[] avg = {Double.NaN};
      trainer.train(examples, cfg, s -> {
        avg[0] = Double.isNaN(avg[0]) ? s.loss() : 0.95 * avg[0] + 0.05 * s.loss();
        if (s.step() % 25 == 0 || s.step() == s.totalSteps()) {
          double el = (System.nanoTime() - start) / 1e9;
          log.printf(Locale.ROOT, "step %d/%d loss %.4f (avg %.4f) lr %.2e grad %.3f  %.0f s, %.1f img/s, eta %.0f s%n",
              s.step(), s.totalSteps(), s.loss(), avg[0], s.learningRate(), s.gradNorm(), el,
              s.step() * (double) cfg.batchSize() / el, el / s.step() * (s.totalSteps() - s.step()));
        }
      }, () -> false);
      double minutes = (System.nanoTime() - start) / 60e9;
      String description = String.format(Locale.ROOT, "Kagami CLIP (OpenCLIP ViT, kagami-s size), trained from scratch by "
          + "bin/kagami-train-default: contrastive pretraining of both towers, %d steps of batch %d (lr %s, seed %d, %.0f min "
          + "on %d CPU cores) on the training splits of Fashion-MNIST (%d images, template captions), OpenClipart "
          + "(%d images, file-name captions)%s. Learned logit scale %.2f.", cfg.steps(), cfg.batchSize(), settings.learningRate(),
          cfg.seed(), minutes, Runtime.getRuntime().availableProcessors(), fmTrain.size(), ocTrain.size(),
          corpus.iconTrain().isEmpty() ? "" : String.format(Locale.ROOT, " and the icon-theme benchmark's train classes (%d "
              + "images of %d icon names, name captions, each %dx; its validation and test classes left out)",
              corpus.iconTrain().size(), corpus.iconTrain().stream().map(DatasetItem::label).distinct().count(), ICON_REPEATS),
          Math.exp(trainer.logScale()));
      TunedPackageWriter.Result r = new TunedPackageWriter().write(init, repository.toAbsolutePath(), version, Optional.of(visual),
          Optional.of(textual), description);
      log.printf(Locale.ROOT, "wrote %s (ONNX vs TorchScript parity %.6f)%n", r.pkg().directory(), r.parity());
    }
  }
}
