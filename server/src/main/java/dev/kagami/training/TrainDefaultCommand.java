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
import dev.kagami.preprocess.ImageLimits;
import dev.kagami.preprocess.RgbImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Trains Kagami's own CLIP from scratch (contrastive pretraining of both towers) on the training splits of
 * Fashion-MNIST (captions from class templates) and OpenClipart (captions from file names and folders).
 * The splits are those of {@code bin/kagami-evaluate} with the same seed and fractions, so the evaluation
 * split it reports on is never seen in training. Two modes, both run by {@code bin/kagami-train-default}:
 *
 * <pre>
 * corpus --out FILE                 the training texts and the evaluation prompts, for the tokenizer
 * train --init DIR --repository models --version 1 [--steps N] [--batch N] [--lr X] [--seed S]
 * </pre>
 */
public final class TrainDefaultCommand {

  /** The training templates of Fashion-MNIST's class captions (the evaluation uses OpenAI's 80 templates). */
  static final List<String> TRAIN_TEMPLATES = List.of("a photo of a {}.", "a {}.", "a picture of a {}.",
      "a product image of a {}.", "a small grayscale image of a {}.", "a catalogue item: {}.");

  /** The evaluation command's split: seed 42, 80/10/10, stratified by class. */
  static final long SPLIT_SEED = 42;
  static final Splits.Fractions FRACTIONS = new Splits.Fractions(0.8, 0.1, 0.1);

  private TrainDefaultCommand() {}

  public static void main(String[] argv) throws Exception {
    String mode = argv.length > 0 ? argv[0] : "";
    Map<String, String> a = new java.util.HashMap<>();
    for (int i = 1; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      }
      a.put(argv[i].substring(2), argv[i + 1]);
    }
    Path fashion = Path.of(a.getOrDefault("fashion-mnist", "/usr/share/datasets/fashion-mnist"));
    Path clipart = Path.of(a.getOrDefault("openclipart", "/usr/share/openclipart/png"));
    ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT);
    dev.kagami.concurrent.Parallel cpu = new dev.kagami.concurrent.ThreadPools().parallel("cli", Runtime.getRuntime().availableProcessors());
    DatasetImporter importer = new DatasetImporter(decoder, cpu);
    Dataset fm = importer.fashionMnist(fashion, "fashion-mnist", 0, ImportProgress.NONE);
    Dataset oc = importer.openClipart(clipart, 1, "openclipart", ImportProgress.NONE);
    List<DatasetItem> fmTrain = Splits.select(fm, Splits.stratified(fm, SPLIT_SEED, FRACTIONS), Split.TRAIN);
    List<DatasetItem> ocTrain = Splits.select(oc, Splits.stratified(oc, SPLIT_SEED, FRACTIONS), Split.TRAIN);
    switch (mode) {
      case "corpus" -> writeCorpus(Path.of(required(a, "out")), fm, oc, ocTrain);
      case "train" -> train(a, decoder, fm, fmTrain, ocTrain, cpu);
      default -> throw new IllegalArgumentException("usage: corpus --out FILE | train --init DIR --repository DIR --version V");
    }
  }

  private static String required(Map<String, String> a, String key) {
    String v = a.get(key);
    if (v == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return v;
  }

  /** Training captions, and every evaluation prompt (so each has its tokens; no image is involved). */
  static void writeCorpus(Path out, Dataset fm, Dataset oc, List<DatasetItem> ocTrain) throws IOException {
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
    System.out.println("wrote " + lines.size() + " lines to " + out);
  }

  private static void train(Map<String, String> a, ImageDecoder decoder, Dataset fm, List<DatasetItem> fmTrain,
      List<DatasetItem> ocTrain, dev.kagami.concurrent.Parallel cpu) {
    ModelPackage init = new ModelPackageReader().read(Path.of(required(a, "init")).toAbsolutePath());
    Path repository = Path.of(a.getOrDefault("repository", "models")).toAbsolutePath();
    String version = a.getOrDefault("version", "1");
    ContrastivePretrainer.Config cfg = new ContrastivePretrainer.Config(Integer.parseInt(a.getOrDefault("steps", "1500")),
        Integer.parseInt(a.getOrDefault("batch", "128")), Double.parseDouble(a.getOrDefault("lr", "1e-3")), 0.1,
        Integer.parseInt(a.getOrDefault("warmup", "100")), 1.0, Long.parseLong(a.getOrDefault("seed", "20261128")));
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
    System.out.printf(Locale.ROOT, "decoded %d Fashion-MNIST + %d OpenClipart training images (%.0f s)%n", fmTrain.size(),
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
          System.out.printf(Locale.ROOT, "step %d/%d loss %.4f (avg %.4f) lr %.2e grad %.3f  %.0f s, %.1f img/s, eta %.0f s%n",
              s.step(), s.totalSteps(), s.loss(), avg[0], s.learningRate(), s.gradNorm(), el,
              s.step() * (double) cfg.batchSize() / el, el / s.step() * (s.totalSteps() - s.step()));
        }
      }, () -> false);
      double minutes = (System.nanoTime() - start) / 60e9;
      String description = String.format(Locale.ROOT, "Kagami CLIP (OpenCLIP ViT, kagami-s size), trained from scratch by "
          + "bin/kagami-train-default: contrastive pretraining of both towers, %d steps of batch %d (lr %s, seed %d, %.0f min "
          + "on %d CPU cores) on the training splits of Fashion-MNIST (%d images, template captions) and OpenClipart "
          + "(%d images, file-name captions). Learned logit scale %.2f.", cfg.steps(), cfg.batchSize(), a.getOrDefault("lr", "1e-3"),
          cfg.seed(), minutes, Runtime.getRuntime().availableProcessors(), fmTrain.size(), ocTrain.size(),
          Math.exp(trainer.logScale()));
      TunedPackageWriter.Result r = new TunedPackageWriter().write(init, repository, version, Optional.of(visual),
          Optional.of(textual), description);
      System.out.printf(Locale.ROOT, "wrote %s (ONNX vs TorchScript parity %.6f)%n", r.pkg().directory(), r.parity());
    }
  }
}
