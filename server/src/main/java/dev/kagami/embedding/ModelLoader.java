package dev.kagami.embedding;

import dev.kagami.engine.EncoderEngine;
import dev.kagami.engine.EngineFactory;
import dev.kagami.engine.EngineKind;
import dev.kagami.engine.EngineOptions;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.model.ModelPackage;
import dev.kagami.model.ModelPackageReader;
import dev.kagami.preprocess.ClipTokenizer;
import dev.kagami.preprocess.ImageDecoder;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * Turns a package directory into a {@link ModelRuntime}: read and verify the package, open the engine
 * (which warms both towers up), optionally check parity against the other engine. Any failure leaves
 * nothing open and says what was wrong.
 */
public final class ModelLoader {

  private static final Logger LOG = Logger.getLogger(ModelLoader.class);

  /** What loading needs besides the directory. */
  public record Settings(EngineKind engine, EngineOptions engineOptions, DynamicBatcher.Settings batching,
      int maxTextChars, boolean parityCheck, double parityMinCosine) {

    /**
     * Settings for a command-line tool that embeds a dataset in one thread: one engine worker, batches of
     * up to 32, no parity check at load (the tools that need one run it themselves).
     */
    public static Settings forTool(EngineKind engine) {
      return new Settings(engine, new EngineOptions(1, 0), new DynamicBatcher.Settings(32, 2_000_000, 4096, 1), 4096,
          false, 0);
    }

    /** These settings with the two-engine parity check at load, at {@code minCosine}. */
    public Settings withParityCheck(double minCosine) {
      return new Settings(engine, engineOptions, batching, maxTextChars, true, minCosine);
    }
  }

  private final ModelPackageReader reader = new ModelPackageReader();
  private final EngineFactory engines;
  private final ImageDecoder decoder;

  private final dev.kagami.concurrent.ThreadPools pools;
  private final io.opentelemetry.api.trace.Tracer tracer;

  public ModelLoader(EngineFactory engines, ImageDecoder decoder) {
    this(engines, decoder, new dev.kagami.concurrent.ThreadPools());
  }

  /** A loader whose runtimes take their batcher threads from {@code pools}. */
  public ModelLoader(EngineFactory engines, ImageDecoder decoder, dev.kagami.concurrent.ThreadPools pools) {
    this(engines, decoder, pools, io.opentelemetry.api.trace.TracerProvider.noop().get("kagami"));
  }

  /** As above, the runtimes' engine batches traced by {@code tracer}. */
  public ModelLoader(EngineFactory engines, ImageDecoder decoder, dev.kagami.concurrent.ThreadPools pools,
      io.opentelemetry.api.trace.Tracer tracer) {
    this.tracer = tracer;
    this.engines = engines;
    this.decoder = decoder;
    this.pools = pools;
  }

  public ModelRuntime load(Path dir, Settings s) {
    long t0 = System.nanoTime();
    ModelPackage pkg = reader.read(dir);
    EncoderEngine engine = engines.open(s.engine(), pkg, s.engineOptions());
    try {
      if (s.parityCheck()) {
        checkParity(pkg, engine, s);
      }
      ModelRuntime rt = new ModelRuntime(pkg, engine, decoder, s.maxTextChars(), s.batching(), pools, tracer);
      LOG.infof("Loaded model %s (%s layout, dimension %d) on %s in %d ms; text tower on %s", pkg.id(), pkg.layout(),
          engine.dimension(), s.engine().djlName(), (System.nanoTime() - t0) / 1_000_000,
          engine.shortTextSequences() ? "the positions each batch needs" : "the full context of "
              + pkg.manifest().text().contextLength() + " positions");
      return rt;
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  /**
   * The lowest cosine between ONNX Runtime's and PyTorch's embeddings of the package's probe inputs; empty
   * when the package has no TorchScript towers (nothing to compare). Loads both engines for the check only.
   */
  public java.util.OptionalDouble measureParity(Path dir) {
    ModelPackage pkg = reader.read(dir);
    if (pkg.visualTorchScript().isEmpty() || pkg.textualTorchScript().isEmpty()) {
      return java.util.OptionalDouble.empty();
    }
    try (EncoderEngine onnx = engines.open(EngineKind.ONNXRUNTIME, pkg, new EngineOptions(1, 0));
        EncoderEngine torch = engines.open(EngineKind.PYTORCH, pkg, new EngineOptions(1, 0));
        ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 10_000)) {
      return java.util.OptionalDouble.of(ParityCheck.worstCosine(onnx, torch, pkg.manifest().image().size(), tok));
    }
  }

  /** Reads and checks the package in {@code dir} as loading does, without loading an engine. */
  public ModelPackage read(Path dir) {
    return reader.read(dir);
  }

  private void checkParity(ModelPackage pkg, EncoderEngine primary, Settings s) {
    EngineKind other = s.engine() == EngineKind.PYTORCH ? EngineKind.ONNXRUNTIME : EngineKind.PYTORCH;
    if (other == EngineKind.PYTORCH && pkg.visualTorchScript().isEmpty()) {
      throw new InvalidModelPackage("Model package " + dir(pkg) + ": parity check asked for, but the package has no "
          + "TorchScript towers to compare ONNX with");
    }
    try (EncoderEngine second = engines.open(other, pkg, new EngineOptions(1, 0));
        ClipTokenizer tok = new ClipTokenizer(pkg.tokenizer(), pkg.manifest().text(), 10_000)) {
      double worst = ParityCheck.worstCosine(primary, second, pkg.manifest().image().size(), tok);
      if (worst < s.parityMinCosine()) {
        throw new InvalidModelPackage("Model package " + dir(pkg) + ": " + s.engine().djlName() + " and " + other.djlName()
            + " disagree: worst cosine " + worst + " < " + s.parityMinCosine());
      }
      LOG.infof("Parity %s vs %s on %s: worst cosine %.6f", s.engine().djlName(), other.djlName(), pkg.id(), worst);
    }
  }

  private static Path dir(ModelPackage pkg) {
    return pkg.directory();
  }
}
