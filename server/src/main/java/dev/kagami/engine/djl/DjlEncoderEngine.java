package dev.kagami.engine.djl;

import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.Shape;
import ai.djl.Model;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.error.KagamiException.ModelUnavailable;
import dev.kagami.model.ModelManifest;
import dev.kagami.model.ModelPackage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@link EncoderEngine} on DJL: one {@link Model} per tower and a pool of predictors each (DJL
 * predictors are not thread-safe). The same code serves ONNX Runtime, PyTorch and TensorRT; only the file
 * each tower is loaded from and the engine options differ.
 */
public final class DjlEncoderEngine implements EncoderEngine {

  private final EngineKind kind;
  private final int dimension;
  private final Tower visual;
  private final Tower textual;
  private final int imageSize;
  private final int contextLength;
  /** Set once by {@link #open} (from {@link TextLengthProbe}) before the engine is handed out. */
  private boolean shortTextSequences;

  private DjlEncoderEngine(EngineKind kind, int dimension, Tower visual, Tower textual, int imageSize, int contextLength) {
    this.kind = kind;
    this.dimension = dimension;
    this.visual = visual;
    this.textual = textual;
    this.imageSize = imageSize;
    this.contextLength = contextLength;
  }

  /** Opens both towers of {@code pkg} on {@code kind}, checks them and runs one warm-up batch each. */
  public static DjlEncoderEngine open(EngineKind kind, ModelPackage pkg, EngineOptions options) {
    requireEngine(kind);
    ModelManifest m = pkg.manifest();
    Path visualFile = fileFor(kind, pkg, true);
    Path textualFile = fileFor(kind, pkg, false);
    ModelManifest.TensorNames names = m.tensors() == null ? ModelManifest.TensorNames.DISCOVER : m.tensors();
    Tower visual = null;
    Tower textual = null;
    try {
      visual = Tower.load(kind, pkg, visualFile, names.imageInput(), names.imageOutput(), m.embeddingDimension(), options);
      textual = Tower.load(kind, pkg, textualFile, names.textInput(), names.textOutput(), m.embeddingDimension(), options);
      DjlEncoderEngine engine = new DjlEncoderEngine(kind, m.embeddingDimension(), visual, textual, m.image().size(),
          m.text().contextLength());
      engine.warmUp(pkg, m);
      engine.shortTextSequences = options.shortTextSequences()
          && TextLengthProbe.allowsShortSequences(engine::runTexts, m.text());
      return engine;
    } catch (RuntimeException e) {
      if (visual != null) {
        visual.close();
      }
      if (textual != null) {
        textual.close();
      }
      throw e;
    }
  }

  private void warmUp(ModelPackage pkg, ModelManifest m) {
    int s = m.image().size();
    try {
      encodeImages(new float[3 * s * s], 1);
    } catch (RuntimeException e) {
      throw new InvalidModelPackage("Model package " + pkg.directory() + ": the image tower failed on a [1, 3, " + s + ", "
          + s + "] input on " + kind.djlName() + ": " + rootMessage(e), e);
    }
    long[] ids = new long[m.text().contextLength()];
    java.util.Arrays.fill(ids, m.text().padTokenId());
    ids[0] = m.text().startTokenId();
    ids[1] = m.text().endTokenId();
    try {
      encodeTexts(ids, 1);
    } catch (RuntimeException e) {
      throw new InvalidModelPackage("Model package " + pkg.directory() + ": the text tower failed on a [1, "
          + m.text().contextLength() + "] input on " + kind.djlName() + ": " + rootMessage(e), e);
    }
  }

  private static void requireEngine(EngineKind kind) {
    if (!Engine.getAllEngines().contains(kind.djlName())) {
      throw new ModelUnavailable("Engine " + kind.djlName() + " is not on the class path; available: " + Engine.getAllEngines());
    }
    try {
      Engine.getEngine(kind.djlName());
    } catch (RuntimeException | LinkageError e) {
      String hint = kind == EngineKind.TENSORRT
          ? " TensorRT needs an NVIDIA GPU and the TensorRT 8.x libraries (libnvinfer) on the library path."
          : "";
      throw new ModelUnavailable("Engine " + kind.djlName() + " cannot start on this host: " + rootMessage(e) + "." + hint);
    }
  }

  private static Path fileFor(EngineKind kind, ModelPackage pkg, boolean visual) {
    if (kind == EngineKind.PYTORCH) {
      return (visual ? pkg.visualTorchScript() : pkg.textualTorchScript()).orElseThrow(() -> new InvalidModelPackage(
          "Model package " + pkg.directory() + " has no " + (visual ? "visual.pt" : "textual.pt")
              + "; the PyTorch engine needs the TorchScript towers"));
    }
    return visual ? pkg.visualOnnx() : pkg.textualOnnx();
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  @Override
  public EngineKind kind() {
    return kind;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[][] encodeImages(float[] pixels, int n) {
    if (pixels.length != n * 3 * imageSize * imageSize) {
      throw new IllegalArgumentException("expected " + n + " x 3 x " + imageSize + " x " + imageSize + " floats, got " + pixels.length);
    }
    return visual.run(TensorInput.ofFloats(pixels, new long[] {n, 3, imageSize, imageSize}, visual.inputName), n);
  }

  @Override
  public float[][] encodeTexts(long[] ids, int n) {
    if (ids.length != n * contextLength) {
      throw new IllegalArgumentException("expected " + n + " x " + contextLength + " ids, got " + ids.length);
    }
    if (shortTextSequences) {
      int length = TextLengthProbe.neededLength(ids, n, contextLength);
      if (length < contextLength) {
        return runTexts(TextLengthProbe.cut(ids, n, contextLength, length), n, length);
      }
    }
    return runTexts(ids, n, contextLength);
  }

  @Override
  public boolean shortTextSequences() {
    return shortTextSequences;
  }

  private float[][] runTexts(long[] ids, int n, int length) {
    return textual.run(TensorInput.ofLongs(ids, new long[] {n, length}, textual.inputName), n);
  }

  @Override
  public void close() {
    visual.close();
    textual.close();
  }

  /** One tower: its model and a pool of predictors. */
  private static final class Tower implements AutoCloseable {
    private final Model model;
    private final BlockingQueue<Predictor<TensorInput, float[][]>> pool;
    private final List<Predictor<TensorInput, float[][]>> all = new ArrayList<>();
    private final String inputName;

    private Tower(Model model, EmbeddingTranslator translator, String inputName, int predictors) {
      this.model = model;
      this.inputName = inputName;
      this.pool = new ArrayBlockingQueue<>(predictors);
      for (int i = 0; i < predictors; i++) {
        Predictor<TensorInput, float[][]> p = model.newPredictor(translator);
        all.add(p);
        pool.add(p);
      }
    }

    static Tower load(EngineKind kind, ModelPackage pkg, Path file, String inputName, String outputName, int dim,
        EngineOptions options) {
      String fileName = file.getFileName().toString();
      String base = fileName.substring(0, fileName.lastIndexOf('.'));
      Map<String, Object> loadOptions = new HashMap<>();
      if (kind == EngineKind.ONNXRUNTIME) {
        loadOptions.put("sessionOptions", OrtOptions.session(options));
      }
      Model model;
      try {
        model = Model.newInstance(base, kind.djlName());
      } catch (RuntimeException | LinkageError e) {
        throw new ModelUnavailable("Engine " + kind.djlName() + " cannot create a model: " + rootMessage(e));
      }
      try {
        model.load(file.getParent(), base, loadOptions);
      } catch (MalformedModelException | IOException | RuntimeException e) {
        model.close();
        throw new InvalidModelPackage("Model package " + pkg.directory() + ": " + kind.djlName() + " cannot load "
            + fileName + ": " + rootMessage(e), e);
      }
      try {
        String resolvedInput = checkInputs(pkg, fileName, model, inputName);
        return new Tower(model, new EmbeddingTranslator(outputName, dim), resolvedInput, options.predictors());
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    }

    /** Fails fast when the model lacks the declared input; returns the input name to bind. */
    private static String checkInputs(ModelPackage pkg, String fileName, Model model, String declared) {
      PairList<String, Shape> inputs;
      try {
        inputs = model.describeInput();
      } catch (RuntimeException e) {
        inputs = null;
      }
      if (inputs == null || inputs.isEmpty()) {
        return declared; // the engine does not describe inputs (TorchScript): bound by position
      }
      if (declared == null) {
        if (inputs.size() != 1) {
          throw new InvalidModelPackage("Model package " + pkg.directory() + ": " + fileName + " has " + inputs.size()
              + " inputs " + inputs.keys() + "; name the one to use in the manifest's tensors");
        }
        return inputs.get(0).getKey();
      }
      if (!inputs.keys().contains(declared)) {
        throw new InvalidModelPackage("Model package " + pkg.directory() + ": " + fileName
            + " does not contain required input '" + declared + "'. Model contains: " + inputs.keys());
      }
      return declared;
    }

    float[][] run(TensorInput input, int n) {
      Predictor<TensorInput, float[][]> p;
      try {
        p = pool.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a predictor", e);
      }
      try {
        float[][] out = p.predict(input);
        if (out.length != n) {
          throw new IllegalStateException("engine returned " + out.length + " rows for " + n + " inputs");
        }
        return out;
      } catch (TranslateException e) {
        throw new IllegalStateException("inference failed: " + rootMessage(e), e);
      } finally {
        pool.add(p);
      }
    }

    @Override
    public void close() {
      all.forEach(Predictor::close);
      model.close();
    }
  }
}
