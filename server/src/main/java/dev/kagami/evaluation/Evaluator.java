package dev.kagami.evaluation;

import dev.kagami.concurrent.Parallel;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetItem;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import dev.kagami.embedding.CallBudget;
import dev.kagami.embedding.EmbedInput;
import dev.kagami.embedding.EmbedResult;
import dev.kagami.embedding.ModelRuntime;
import dev.kagami.error.KagamiException.InvalidInput;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Runs the KPIs of one model on one split of a dataset. Images are embedded through the model's serving
 * path (the same decoding, transform, batching and engine as Embed), reusing cached embeddings.
 */
public final class Evaluator {

  /** The KPIs that can be asked for. */
  public enum Kpi { I2I, KNN, ZERO_SHOT, T2I }

  /** What to compute and how. */
  public record Options(Set<Kpi> kpis, List<String> templates, String templateSetName, int k, double temperature,
      int imagesPerCall, double calibrationPrecision) {

    public Options {
      if (!(calibrationPrecision > 0 && calibrationPrecision < 1)) {
        throw new dev.kagami.error.KagamiException.InvalidInput("the calibration precision must be in (0, 1), is "
            + calibrationPrecision);
      }
    }

    /** Options with the default calibration precision ({@link ScoreCalibration#DEFAULT_PRECISION}). */
    public Options(Set<Kpi> kpis, List<String> templates, String templateSetName, int k, double temperature, int imagesPerCall) {
      this(kpis, templates, templateSetName, k, temperature, imagesPerCall, ScoreCalibration.DEFAULT_PRECISION);
    }

    public static Options defaults() {
      return new Options(EnumSet.allOf(Kpi.class), PromptTemplates.OPENAI_IMAGENET, "openai-imagenet",
          Classification.DEFAULT_K, Classification.DEFAULT_TEMPERATURE, 32);
    }
  }

  private final ModelRuntime model;
  private final EmbeddingCache cache;
  private final Parallel parallel;

  private final ImageEmbedder images;

  /** An evaluator whose loops run on the calling thread (tests). */
  public Evaluator(ModelRuntime model, EmbeddingCache cache) {
    this(model, cache, Parallel.SEQUENTIAL);
  }

  /** {@code parallel}: where the metric loops and image preprocessing run; images go straight to the model. */
  public Evaluator(ModelRuntime model, EmbeddingCache cache, Parallel parallel) {
    this(model, cache, parallel, ImageEmbedder.direct(model, parallel.executor()));
  }

  /** {@code images}: how the images are embedded (the server's admission-controlled path). */
  public Evaluator(ModelRuntime model, EmbeddingCache cache, Parallel parallel, ImageEmbedder images) {
    this.images = images;
    this.parallel = parallel;
    if (cache.dimension() != model.dimension()) {
      throw new IllegalArgumentException("cache dimension " + cache.dimension() + " != model dimension " + model.dimension());
    }
    this.model = model;
    this.cache = cache;
  }

  private static final class Timing {
    long embedded;
    long cached;
    long embedNanos;
    final List<Long> callNanos = new ArrayList<>();
  }

  public EvaluationReport evaluate(Dataset d, Map<String, Split> splits, Split split, long seed, Options o,
      ImportProgress progress) {
    List<DatasetItem> test = Splits.select(d, splits, split);
    if (test.isEmpty()) {
      throw new InvalidInput("split " + split + " of dataset " + d.name() + " is empty");
    }
    int numClasses = d.classes().size();
    Timing timing = new Timing();
    long t0 = System.nanoTime();
    Embeddings testEmb = embedImages(test, timing, progress, "embedding " + split.name().toLowerCase(Locale.ROOT) + " images");
    int[] testLabels = test.stream().mapToInt(it -> d.classId(it.label())).toArray();
    List<String> notes = new ArrayList<>();

    ImageRetrieval.Result i2i = null;
    Classification.Result knn = null;
    Classification.Result zs = null;
    TextToImage.Result t2i = null;
    Embeddings captionEmb = null;
    int[] captionImage = null;
    long metricNanos = 0;
    if (o.kpis().contains(Kpi.I2I)) {
      long m0 = System.nanoTime();
      i2i = ImageRetrieval.evaluate(parallel, testEmb, testLabels, numClasses);
      metricNanos += System.nanoTime() - m0;
      if (i2i.skippedQueries() > 0) {
        notes.add(i2i.skippedQueries() + " I2I queries skipped: their class has no other image in the split");
      }
    }
    if (o.kpis().contains(Kpi.KNN)) {
      List<DatasetItem> train = Splits.select(d, splits, Split.TRAIN);
      if (train.isEmpty() || split == Split.TRAIN) {
        notes.add("k-NN not computed: it needs a train split distinct from the evaluated split");
      } else {
        Embeddings trainEmb = embedImages(train, timing, progress, "embedding train images for k-NN");
        int[] trainLabels = train.stream().mapToInt(it -> d.classId(it.label())).toArray();
        long m0 = System.nanoTime();
        knn = Classification.knn(parallel, trainEmb, trainLabels, testEmb, testLabels, numClasses, o.k(), o.temperature());
        metricNanos += System.nanoTime() - m0;
      }
    }
    if (o.kpis().contains(Kpi.ZERO_SHOT)) {
      List<String> prompts = new ArrayList<>();
      for (String label : d.classes()) {
        for (String t : o.templates()) {
          prompts.add(t.replace("{}", PromptTemplates.className(label)));
        }
      }
      Embeddings promptEmb = embedTexts(prompts);
      long m0 = System.nanoTime();
      zs = Classification.zeroShot(parallel, testEmb, testLabels, Classification.classPrototypes(promptEmb, numClasses));
      metricNanos += System.nanoTime() - m0;
    }
    if (o.kpis().contains(Kpi.T2I)) {
      List<String> captions = new ArrayList<>();
      List<Integer> targets = new ArrayList<>();
      for (int i = 0; i < test.size(); i++) {
        for (String c : test.get(i).captions()) {
          captions.add(c);
          targets.add(i);
        }
      }
      if (captions.isEmpty()) {
        notes.add("T2I not computed: the split's images have no captions");
      } else {
        Embeddings capEmb = embedTexts(captions);
        long m0 = System.nanoTime();
        captionEmb = capEmb;
        captionImage = targets.stream().mapToInt(Integer::intValue).toArray();
        t2i = TextToImage.evaluate(parallel, capEmb, captionImage, testEmb, testLabels, numClasses);
        metricNanos += System.nanoTime() - m0;
      }
    }
    cache.flush();
    ScoreCalibration.Calibration calibration = null;
    if (i2i != null || t2i != null) {
      long m0 = System.nanoTime();
      calibration = ScoreCalibration.of(parallel, testEmb, testLabels, captionEmb, captionImage, o.calibrationPrecision());
      metricNanos += System.nanoTime() - m0;
    }

    List<EvaluationReport.ClassRow> rows = new ArrayList<>();
    int[] perClassImages = new int[numClasses];
    for (int l : testLabels) {
      perClassImages[l]++;
    }
    for (int c = 0; c < numClasses; c++) {
      if (perClassImages[c] == 0) {
        continue;
      }
      rows.add(new EvaluationReport.ClassRow(d.classes().get(c), perClassImages[c],
          i2i == null ? null : nan(i2i.classMap()[c]), i2i == null ? null : nan(i2i.classRecallAt1()[c]),
          knn == null ? null : nan(knn.classAccuracy()[c]), zs == null ? null : nan(zs.classAccuracy()[c]),
          t2i == null ? null : nan(t2i.classRecall()[c][1])));
    }
    EvaluationReport.Summary summary = new EvaluationReport.Summary(
        i2i == null ? null : nan(i2i.map()), i2i == null ? null : nan(i2i.mapAtR()), i2i == null ? null : nan(i2i.recallAt1()),
        knn == null ? null : nan(knn.accuracy()), zs == null ? null : nan(zs.accuracy()),
        t2i == null ? null : nan(t2i.recallAt(1)), t2i == null ? null : nan(t2i.recallAt(5)),
        t2i == null ? null : nan(t2i.recallAt(10)), t2i == null ? 0 : t2i.queries());
    List<Long> lat = new ArrayList<>(timing.callNanos);
    lat.sort(null);
    EvaluationReport.Operations ops = new EvaluationReport.Operations(timing.embedded, timing.cached,
        timing.embedded == 0 ? null : timing.embedded / (timing.embedNanos / 1e9),
        lat.isEmpty() ? null : lat.get(lat.size() / 2) / 1e6,
        lat.isEmpty() ? null : lat.get(Math.min(lat.size() - 1, (int) Math.ceil(lat.size() * 0.99) - 1)) / 1e6,
        o.imagesPerCall(), 4 * model.dimension(), timing.embedNanos / 1e9, metricNanos / 1e9);
    return new EvaluationReport(UUID.randomUUID().toString(), Instant.now().toString(),
        model.name() + "/" + model.version(), model.engine().kind().name().toLowerCase(Locale.ROOT), d.name(),
        split.name().toLowerCase(Locale.ROOT), seed, test.size(), numClasses, o.templateSetName(), summary, rows, ops, notes,
        calibration);
  }

  private static Double nan(double v) {
    return Double.isNaN(v) ? null : v;
  }

  /** Unit vectors of {@code items}' images, in order (through the embedding cache). */
  public Embeddings embedGallery(List<DatasetItem> items, ImportProgress progress) {
    return embedImages(items, new Timing(), progress, "embedding images");
  }

  private Embeddings embedImages(List<DatasetItem> items, Timing timing, ImportProgress progress, String stage) {
    int n = items.size();
    float[] data = new float[n * model.dimension()];
    List<Integer> todo = new ArrayList<>();
    List<byte[]> todoBytes = new ArrayList<>();
    List<String> todoSha = new ArrayList<>();
    progress.update(stage, 0, n);
    int done = 0;
    for (int i = 0; i < n; i++) {
      byte[] bytes = items.get(i).source().read();
      String sha = sha256(bytes);
      float[] v = cache.get(sha);
      if (v != null) {
        System.arraycopy(v, 0, data, i * model.dimension(), model.dimension());
        timing.cached++;
        done++;
        continue;
      }
      todo.add(i);
      todoBytes.add(bytes);
      todoSha.add(sha);
      if (todo.size() == 32 * 8 || i == n - 1) {
        done += flushBatch(todo, todoBytes, todoSha, data, timing);
        progress.update(stage, done, n);
      }
    }
    if (!todo.isEmpty()) {
      done += flushBatch(todo, todoBytes, todoSha, data, timing);
    }
    progress.update(stage, done, n);
    return new Embeddings(n, model.dimension(), data);
  }

  /** Embeds the pending images in concurrent calls of 32, so the batcher can keep the engine busy. */
  private int flushBatch(List<Integer> idx, List<byte[]> bytes, List<String> shas, float[] data, Timing timing) {
    int per = 32;
    long t0 = System.nanoTime();
    List<java.util.concurrent.CompletableFuture<EmbedResult>> calls = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    for (int s = 0; s < idx.size(); s += per) {
      List<EmbedInput> inputs = new ArrayList<>();
      for (int j = s; j < Math.min(idx.size(), s + per); j++) {
        inputs.add(EmbedInput.image(bytes.get(j)));
      }
      long cs = System.nanoTime();
      starts.add(cs);
      calls.add(images.embed(inputs));
    }
    for (int c = 0; c < calls.size(); c++) {
      EmbedResult r = calls.get(c).join();
      timing.callNanos.add(System.nanoTime() - starts.get(c));
      for (int j = 0; j < r.vectors().size(); j++) {
        int k = c * per + j;
        float[] v = r.vectors().get(j);
        System.arraycopy(v, 0, data, idx.get(k) * model.dimension(), model.dimension());
        cache.put(shas.get(k), v);
      }
    }
    timing.embedNanos += System.nanoTime() - t0;
    int n = idx.size();
    timing.embedded += n;
    idx.clear();
    bytes.clear();
    shas.clear();
    return n;
  }

  private Embeddings embedTexts(List<String> texts) {
    List<float[]> rows = new ArrayList<>(texts.size());
    for (int s = 0; s < texts.size(); s += 128) {
      List<EmbedInput> in = texts.subList(s, Math.min(texts.size(), s + 128)).stream().map(EmbedInput::text).toList();
      rows.addAll(model.submit(model.prepare(in), CallBudget.NONE).join().vectors());
    }
    return Embeddings.of(rows);
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
