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

  /** The training splits of the two datasets, and the Fashion-MNIST dataset for its classes. */
  public record Corpus(Dataset fashionMnist, Dataset openClipart, List<DatasetItem> fashionTrain, List<DatasetItem> clipartTrain) {}

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

  /** Imports both datasets and selects their training splits (the evaluation's split). */
  public Corpus corpus(Path fashion, Path clipart) throws IOException {
    DatasetImporter importer = new DatasetImporter(decoder, cpu);
    Dataset fm = importer.fashionMnist(fashion, "fashion-mnist", 0, ImportProgress.NONE);
    Dataset oc = importer.openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
    return new Corpus(fm, oc, Splits.select(fm, Splits.stratified(fm, SPLIT_SEED, FRACTIONS), Split.TRAIN),
        Splits.select(oc, Splits.stratified(oc, SPLIT_SEED, FRACTIONS), Split.TRAIN));
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
      List<DatasetItem> all = new ArrayList<>(fmTrain);
      all.addAll(ocTrain);
      ContrastivePretrainer.Example[] ex = new ContrastivePretrainer.Example[all.size()];
      List<long[]>[] ocCaps = new List[ocTrain.size()];
      for (int i = 0; i < ocTrain.size(); i++) {
        ocCaps[i] = ocTrain.get(i).captions().stream().map(tok::tokenize).toList();
      }
      cpu.forEach(all.size(), i -> {
        DatasetItem it = all.get(i);
        RgbImage img = FineTuneRunner.shrink(decoder.decode(it.source().read()), keep);
        ex[i] = i < fmTrain.size()
            ? new ContrastivePretrainer.Example(img, classCaptions.get(fm.classId(it.label())), fm.classId(it.label()))
            : new ContrastivePretrainer.Example(img, ocCaps[i - fmTrain.size()], -1 - i); // each clip art its own group
      });
      examples = List.of(ex);
    }
    log.printf(Locale.ROOT, "decoded %d Fashion-MNIST + %d OpenClipart training images (%.0f s)%n", fmTrain.size(),
        ocTrain.size(), (System.nanoTime() - t0) / 1e9);
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
          + "on %d CPU cores) on the training splits of Fashion-MNIST (%d images, template captions) and OpenClipart "
          + "(%d images, file-name captions). Learned logit scale %.2f.", cfg.steps(), cfg.batchSize(), settings.learningRate(),
          cfg.seed(), minutes, Runtime.getRuntime().availableProcessors(), fmTrain.size(), ocTrain.size(),
          Math.exp(trainer.logScale()));
      TunedPackageWriter.Result r = new TunedPackageWriter().write(init, repository.toAbsolutePath(), version, Optional.of(visual),
          Optional.of(textual), description);
      log.printf(Locale.ROOT, "wrote %s (ONNX vs TorchScript parity %.6f)%n", r.pkg().directory(), r.parity());
    }
  }
}
