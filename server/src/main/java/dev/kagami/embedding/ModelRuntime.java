package dev.kagami.embedding;

import dev.kagami.engine.EncoderEngine;
import dev.kagami.error.KagamiException;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.model.ModelPackage;
import dev.kagami.preprocess.ClipImageTransform;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A loaded model ready to serve: its package, engine, preprocessing and one dynamic batcher per tower.
 * Thread-safe.
 */
public final class ModelRuntime implements AutoCloseable {

  private final ModelPackage pkg;
  private final EncoderEngine engine;
  private final ImageDecoder decoder;
  private final ClipImageTransform transform;
  private final ClipTokenizer tokenizer;
  private final DynamicBatcher<float[]> images;
  private final DynamicBatcher<long[]> texts;

  public ModelRuntime(ModelPackage pkg, EncoderEngine engine, ImageDecoder decoder, int maxTextChars,
      DynamicBatcher.Settings batching, dev.kagami.concurrent.ThreadPools pools) {
    this(pkg, engine, decoder, maxTextChars, batching, pools, io.opentelemetry.api.trace.TracerProvider.noop().get("kagami"));
  }

  /** As above, with every engine batch traced by {@code tracer} ({@link DynamicBatcher}). */
  public ModelRuntime(ModelPackage pkg, EncoderEngine engine, ImageDecoder decoder, int maxTextChars,
      DynamicBatcher.Settings batching, dev.kagami.concurrent.ThreadPools pools, io.opentelemetry.api.trace.Tracer tracer) {
    this.pkg = pkg;
    this.engine = engine;
    this.decoder = decoder;
    this.transform = new ClipImageTransform(pkg.manifest().image());
    this.tokenizer = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), maxTextChars);
    int pixels = transform.tensorLength();
    int ctx = tokenizer.contextLength();
    this.images = new DynamicBatcher<>("image", batching, batch -> {
      float[] all = new float[batch.size() * pixels];
      for (int i = 0; i < batch.size(); i++) {
        System.arraycopy(batch.get(i), 0, all, i * pixels, pixels);
      }
      return engine.encodeImages(all, batch.size());
    }, pools.threads("batcher-" + pkg.id() + "-image"), tracer);
    this.texts = new DynamicBatcher<>("text", batching, batch -> {
      long[] all = new long[batch.size() * ctx];
      for (int i = 0; i < batch.size(); i++) {
        System.arraycopy(batch.get(i), 0, all, i * ctx, ctx);
      }
      return engine.encodeTexts(all, batch.size());
    }, pools.threads("batcher-" + pkg.id() + "-text"), tracer);
  }

  public ModelPackage modelPackage() {
    return pkg;
  }

  public String name() {
    return pkg.manifest().name();
  }

  public String version() {
    return pkg.manifest().version();
  }

  /**
   * Identifies the image tower's weights: the first 16 hex digits of visual.onnx's SHA-256 from the
   * manifest (computed when the layout has no manifest). Caches of image embeddings are keyed by it, so a
   * package rebuilt under the same name and version never reuses stale embeddings.
   */
  public String imageTowerId() {
    var entry = pkg.manifest().files().get("visual.onnx");
    String sha = entry != null && entry.sha256() != null ? entry.sha256()
        : dev.kagami.model.ModelPackageReader.sha256(pkg.visualOnnx());
    return sha.substring(0, 16);
  }

  /** {@code name/version}. */
  public String id() {
    return pkg.id();
  }

  public int dimension() {
    return engine.dimension();
  }

  public EncoderEngine engine() {
    return engine;
  }

  public ClipImageTransform transform() {
    return transform;
  }

  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  public ImageDecoder decoder() {
    return decoder;
  }

  public DynamicBatcher<float[]> imageBatcher() {
    return images;
  }

  public DynamicBatcher<long[]> textBatcher() {
    return texts;
  }

  /** Inputs decoded and tokenized, ready for the batchers. */
  public record Prepared(List<float[]> images, List<long[]> texts, int[] imageSlot, int[] textSlot, int count) {}

  /**
   * Decodes, transforms and tokenizes {@code inputs}. CPU-heavy for images; call it off the event loop.
   *
   * @throws InvalidInput naming the first bad input by index
   */
  public Prepared prepare(List<EmbedInput> inputs) {
    return prepare(inputs, () -> { });
  }

  /**
   * As {@link #prepare(List)}, calling {@code between} before each input so that a call whose deadline
   * passed or whose caller went away stops between inputs (it throws) instead of decoding the rest.
   */
  public Prepared prepare(List<EmbedInput> inputs, Runnable between) {
    List<float[]> imgs = new ArrayList<>();
    List<long[]> txts = new ArrayList<>();
    int[] imageSlot = new int[inputs.size()];
    int[] textSlot = new int[inputs.size()];
    for (int i = 0; i < inputs.size(); i++) {
      between.run();
      imageSlot[i] = -1;
      textSlot[i] = -1;
      try {
        EmbedInput in = inputs.get(i);
        if (in instanceof EmbedInput.Text t) {
          if (t.text().codePoints().allMatch(cp -> Character.isWhitespace(cp) || Character.isSpaceChar(cp))) {
            // CLIP would embed the bare start and end tokens: a vector that says nothing about any image
            throw new InvalidInput("text is empty or only whitespace; there is nothing to embed");
          }
          textSlot[i] = txts.size();
          txts.add(tokenizer.tokenize(t.text()));
        } else if (in instanceof EmbedInput.Image im) {
          imageSlot[i] = imgs.size();
          imgs.add(transform.apply(decoder.decode(im.bytes())));
        } else {
          throw new InvalidInput("has neither text nor image");
        }
      } catch (InvalidInput e) {
        throw new InvalidInput("input " + i + ": " + e.getMessage(), e);
      }
    }
    return new Prepared(imgs, txts, imageSlot, textSlot, inputs.size());
  }

  /** Queues prepared inputs; the future completes with every embedding in input order. */
  public CompletableFuture<EmbedResult> submit(Prepared p, CallBudget budget) {
    List<CompletableFuture<float[]>> imageFutures = images.submitAll(p.images(), budget);
    List<CompletableFuture<float[]>> textFutures;
    try {
      textFutures = texts.submitAll(p.texts(), budget);
    } catch (KagamiException e) {
      imageFutures.forEach(f -> f.cancel(false));
      throw e;
    }
    List<CompletableFuture<float[]>> all = new ArrayList<>(imageFutures);
    all.addAll(textFutures);
    CompletableFuture<EmbedResult> result = new CompletableFuture<>();
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
      if (e != null) {
        all.forEach(f -> f.cancel(false));
        result.completeExceptionally(e);
        return;
      }
      List<float[]> ordered = new ArrayList<>(p.count());
      for (int i = 0; i < p.count(); i++) {
        ordered.add(p.imageSlot()[i] >= 0 ? imageFutures.get(p.imageSlot()[i]).join() : textFutures.get(p.textSlot()[i]).join());
      }
      result.complete(new EmbedResult(name(), version(), dimension(), ordered));
    });
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        all.forEach(f -> f.cancel(false));
      }
    });
    return result;
  }

  private final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean retiring;
  private volatile long lastUsed = System.nanoTime();

  /** When a call last took this runtime ({@link System#nanoTime()}). */
  public long lastUsed() {
    return lastUsed;
  }

  /**
   * Takes a use of this runtime for one call; false once it is retiring (the caller resolves again and gets
   * the version that serves now). Every successful acquire is followed by one {@link #release()}.
   */
  public boolean acquire() {
    lastUsed = System.nanoTime();
    users.incrementAndGet();
    if (retiring) {
      release();
      return false;
    }
    return true;
  }

  public void release() {
    if (users.decrementAndGet() == 0 && retiring) {
      close();
    }
  }

  /** Takes no new calls; closes when the last call in progress ends (at once if none is). */
  public void retire() {
    retiring = true;
    if (users.get() == 0) {
      close();
    }
  }

  /** Calls in progress on this runtime. */
  public int users() {
    return users.get();
  }

  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    images.close();
    texts.close();
    tokenizer.close();
    engine.close();
  }
}
