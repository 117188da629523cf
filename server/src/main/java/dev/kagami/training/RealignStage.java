package dev.kagami.training;

import dev.kagami.concurrent.Parallel;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.evaluation.Classification;
import dev.kagami.evaluation.Embeddings;
import dev.kagami.evaluation.Evaluator;
import dev.kagami.evaluation.PromptTemplates;
import dev.kagami.evaluation.TextToImage;
import dev.kagami.finetune.Checkpoint;
import dev.kagami.finetune.ImageTuner;
import dev.kagami.finetune.TextRealigner;
import dev.kagami.finetune.TrainableTower;
import dev.kagami.model.ModelPackage;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import dev.kagami.preprocess.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A run's re-alignment stage (2SFT's stage 2, and MCIP + Re-A's): the tuned image tower's embeddings of the
 * training and validation images are computed once, with the transform serving and the test use (the whole
 * decoded image through the model's CLIP transform), and the text tower trains against them. Re-alignment
 * repairs text-to-image alignment, so its best step is chosen by what it repairs: text-to-image recall@5 of
 * the validation images' own captions (the test's T2I protocol), or, when the validation images have no
 * captions or only captions that name their class (no more distinct captions than classes), zero-shot accuracy
 * with the evaluation's prompt templates (the test's zero-shot protocol). Every
 * validation also records the validation split's InfoNCE. What trains is the stage's own setting (the last
 * text blocks by default), with the token and positional embeddings frozen unless asked for.
 */
final class RealignStage {

  static final String T2I_R5 = "t2i_r5";
  static final String ZERO_SHOT = "zero_shot";
  static final String VAL_LOSS = "val_infonce";

  /** What the stage works on: the run's spec and data, and the image stage's tuned weights. */
  record Inputs(RunSpec spec, ModelPackage base, Dataset dataset, List<DatasetItem> train, List<DatasetItem> val, int[] valLabels,
      CaptionTable captions, ClipTokenizer tokenizer, ClipImageTransform transform, Path visualBest) {}

  private final ImageDecoder decoder;
  private final Parallel parallel;

  RealignStage(ImageDecoder decoder, Parallel parallel) {
    this.decoder = decoder;
    this.parallel = parallel;
  }

  /** Which text parameters re-alignment trains: its own setting, the embeddings frozen unless the spec trains them. */
  static Function<List<String>, Predicate<String>> selector(RunSpec spec) {
    Function<List<String>, Predicate<String>> base = switch (spec.realignTrainable()) {
      case PROJECTION -> names -> TrainableTower.projectionOnly();
      case LAST_BLOCKS -> TrainableTower.lastBlocksOf(spec.realignLastBlocks());
      case ALL -> names -> n -> true;
    };
    return spec.realignTrainEmbeddings() ? base : names -> base.apply(names).and(n -> !isEmbedding(n));
  }

  static boolean isEmbedding(String name) {
    return name.equals("positional_embedding") || name.startsWith("token_embedding");
  }

  /** Runs the stage in {@code dir} (resuming or skipping as {@link StageDirectory} does); returns its best weights. */
  Path run(Inputs in, Path dir, FineTuneRunner.Listener listener, BooleanSupplier cancelled, BooleanSupplier suspended) {
    RunSpec spec = in.spec();
    return StageDirectory.run(dir, () -> {
      // only a stage that runs needs the fixed embeddings (a finished one is skipped without decoding anything)
      float[][] trainEmb;
      float[][] valEmb;
      try (TrainableTower visual = TrainableTower.load(in.visualBest(), TrainableTower.projectionOnly())) {
        ImageTuner embedder = new ImageTuner(visual, in.transform());
        trainEmb = embedAsServed(embedder, in.train());
        valEmb = embedAsServed(embedder, in.val());
      }
      List<TextRealigner.Example> train = new ArrayList<>();
      for (int i = 0; i < in.train().size(); i++) {
        List<long[]> caps = new ArrayList<>();
        for (int c : in.captions().forRealign().get(i)) {
          caps.add(in.captions().tokens().get(c));
        }
        train.add(new TextRealigner.Example(trainEmb[i], caps));
      }
      Validation v = validation(in, valEmb);
      try (TrainableTower textual = TrainableTower.select(
          Checkpoint.towerFile(dir.resolve("checkpoint")).orElse(in.base().textualTorchScript().orElseThrow()), selector(spec))) {
        TextRealigner realigner = new TextRealigner(textual, in.base().manifest().text().contextLength());
        int perEpoch = train.size() / spec.batchSize();
        int total = perEpoch * spec.realignEpochs();
        listener.stage(FineTuneRunner.REALIGN, total);
        StageSession session = new StageSession(FineTuneRunner.REALIGN, dir, spec, perEpoch, total, listener, cancelled, suspended,
            v.primary(), textual::save, () -> v.measure(realigner, spec.batchSize()));
        realigner.train(train, new TextRealigner.Config(spec.realignEpochs(), spec.batchSize(), spec.realignLearningRate(), 0.1,
            spec.realignWarmupSteps(), 1.0, spec.seed()), session);
        return session.bestStep;
      }
    });
  }

  /** Whether the items' captions tell images apart: more distinct captions than classes. */
  static boolean captionsNameImages(List<DatasetItem> items) {
    long distinct = items.stream().flatMap(it -> it.captions().stream()).distinct().count();
    long classes = items.stream().map(DatasetItem::label).distinct().count();
    return distinct > classes;
  }

  /** The validation queries and what to measure with them. */
  private Validation validation(Inputs in, float[][] valEmb) {
    List<long[]> captions = new ArrayList<>();
    List<Integer> targets = new ArrayList<>();
    List<TextRealigner.Example> pairs = new ArrayList<>();
    Map<String, long[]> tokens = new LinkedHashMap<>();
    for (int i = 0; i < in.val().size(); i++) {
      DatasetItem it = in.val().get(i);
      List<long[]> own = new ArrayList<>();
      for (String c : it.captions()) {
        long[] t = tokens.computeIfAbsent(c, in.tokenizer()::tokenize);
        own.add(t);
        captions.add(t);
        targets.add(i);
      }
      if (own.isEmpty()) {
        String label = PromptTemplates.className(it.label());
        FineTuneRunner.LABEL_TEMPLATES.forEach(t -> own.add(tokens.computeIfAbsent(t.replace("{}", label), in.tokenizer()::tokenize)));
      }
      pairs.add(new TextRealigner.Example(valEmb[i], own));
    }
    // captions that name classes, not images (every image of a class has the same ones, as template or icon-name
    // captions do) make an image's own rank among its class-mates a coin toss: choose by zero-shot instead
    if (!captions.isEmpty() && !captionsNameImages(in.val())) {
      captions.clear();
      targets.clear();
    }
    List<long[]> prompts = new ArrayList<>();
    if (captions.isEmpty()) {
      for (String label : in.dataset().classes()) {
        for (String t : Evaluator.Options.defaults().templates()) {
          prompts.add(in.tokenizer().tokenize(t.replace("{}", PromptTemplates.className(label))));
        }
      }
    }
    return new Validation(Embeddings.of(List.of(valEmb)), in.valLabels(), in.dataset().classes().size(), captions,
        targets.stream().mapToInt(Integer::intValue).toArray(), prompts, pairs, parallel);
  }

  private record Validation(Embeddings images, int[] labels, int classes, List<long[]> captions, int[] targets,
      List<long[]> prompts, List<TextRealigner.Example> pairs, Parallel parallel) {

    String primary() {
      return captions.isEmpty() ? ZERO_SHOT : T2I_R5;
    }

    Map<String, Double> measure(TextRealigner realigner, int batchSize) {
      Map<String, Double> kpis = new LinkedHashMap<>();
      if (!captions.isEmpty()) {
        Embeddings q = Embeddings.of(List.of(embed(realigner, captions)));
        TextToImage.Result r = TextToImage.evaluate(parallel, q, targets, images, labels, classes);
        kpis.put(T2I_R5, r.recallAt(5));
        kpis.put("t2i_r1", r.recallAt(1));
      } else {
        Embeddings p = Embeddings.of(List.of(embed(realigner, prompts)));
        kpis.put(ZERO_SHOT, Classification.zeroShot(parallel, images, labels, Classification.classPrototypes(p, classes)).accuracy());
      }
      kpis.put(VAL_LOSS, realigner.loss(pairs, batchSize));
      return kpis;
    }

    private static float[][] embed(TextRealigner realigner, List<long[]> texts) {
      float[][] out = new float[texts.size()][];
      for (int from = 0; from < texts.size(); from += 256) {
        float[][] part = realigner.embed(texts.subList(from, Math.min(texts.size(), from + 256)));
        System.arraycopy(part, 0, out, from, part.length);
      }
      return out;
    }
  }

  /** The items' embeddings by {@link ImageTuner#embedAsServed}, decoded afresh in chunks (never all held at full size). */
  private float[][] embedAsServed(ImageTuner embedder, List<DatasetItem> items) {
    float[][] out = new float[items.size()][];
    int chunk = 128;
    for (int from = 0; from < items.size(); from += chunk) {
      int n = Math.min(chunk, items.size() - from);
      RgbImage[] imgs = new RgbImage[n];
      int first = from;
      parallel.forEach(n, i -> imgs[i] = decoder.decode(items.get(first + i).source().read()));
      float[][] part = embedder.embedAsServed(List.of(imgs), 64);
      System.arraycopy(part, 0, out, from, n);
    }
    return out;
  }
}
