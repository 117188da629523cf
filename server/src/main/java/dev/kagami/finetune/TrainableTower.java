package dev.kagami.finetune;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One TorchScript tower ({@code visual.pt} or {@code textual.pt}) loaded for training on DJL's PyTorch
 * engine. Loading needs the option {@code trainParam=true}: without it the module's tensors are inference
 * tensors and cannot require gradients. Which parameters train is chosen by name (projection only, the
 * last blocks, or everything); the rest stay frozen.
 */
public final class TrainableTower implements AutoCloseable {

  private final Model model;
  private final PtSymbolBlock block;
  private final List<Parameter> trainable = new ArrayList<>();
  private final List<String> trainableNames = new ArrayList<>();

  private TrainableTower(Model model, PtSymbolBlock block) {
    this.model = model;
    this.block = block;
  }

  /** Loads {@code file} (a TorchScript module) and marks the parameters whose names pass {@code trains}. */
  public static TrainableTower load(Path file, Predicate<String> trains) {
    return select(file, names -> trains);
  }

  /** Loads {@code file} and marks the parameters chosen by {@code selector}, which sees every parameter name first. */
  public static TrainableTower select(Path file, java.util.function.Function<List<String>, Predicate<String>> selector) {
    String name = file.getFileName().toString().replaceFirst("\\.pt$", "");
    Model model = Model.newInstance(name, "PyTorch");
    try {
      model.load(file.getParent(), name, Map.of("trainParam", "true"));
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new InvalidModelPackage("cannot load " + file + " for training: " + e.getMessage(), e);
    }
    TrainableTower t = new TrainableTower(model, (PtSymbolBlock) model.getBlock());
    Predicate<String> trains = selector.apply(t.block.getParameters().keys());
    for (Pair<String, Parameter> p : t.block.getParameters()) {
      boolean on = trains.test(p.getKey());
      p.getValue().getArray().setRequiresGradient(on);
      if (on) {
        t.trainable.add(p.getValue());
        t.trainableNames.add(p.getKey());
      }
    }
    if (t.trainable.isEmpty()) {
      t.close();
      throw new IllegalArgumentException("no parameter of " + file + " matches the selection");
    }
    return t;
  }

  /** Trains the projection only: {@code proj} (visual) or {@code text_projection} (text). */
  public static Predicate<String> projectionOnly() {
    return n -> n.equals("proj") || n.equals("text_projection");
  }

  /** Trains the last {@code blocks} transformer blocks, the final layer norm and the projection. */
  public static Predicate<String> lastBlocks(int blocks, int totalBlocks) {
    return n -> {
      if (projectionOnly().test(n) || n.startsWith("ln_post") || n.startsWith("ln_final")) {
        return true;
      }
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("transformer\\.resblocks\\.(\\d+)\\.").matcher(n);
      return m.find() && Integer.parseInt(m.group(1)) >= totalBlocks - blocks;
    };
  }

  /** The last {@code blocks} transformer blocks of whatever depth the tower has (see {@link #lastBlocks(int, int)}). */
  public static java.util.function.Function<List<String>, Predicate<String>> lastBlocksOf(int blocks) {
    return names -> lastBlocks(blocks, blockCount(names));
  }

  /** How many transformer blocks ({@code transformer.resblocks.<i>.}) the parameter names hold. */
  public static int blockCount(List<String> names) {
    int total = 0;
    java.util.regex.Pattern p = java.util.regex.Pattern.compile("transformer\\.resblocks\\.(\\d+)\\.");
    for (String n : names) {
      java.util.regex.Matcher m = p.matcher(n);
      if (m.find()) {
        total = Math.max(total, Integer.parseInt(m.group(1)) + 1);
      }
    }
    return total;
  }

  public List<String> trainableNames() {
    return List.copyOf(trainableNames);
  }

  /** Every parameter's current values by name (trainable or not), for writing the tuned ONNX. */
  public Map<String, float[]> weights() {
    return weights(name -> true);
  }

  /**
   * The current values of the trainable parameters only, for writing the tuned ONNX: the others are the
   * base's and stay as the base ONNX has them (an exporter may have folded or merged their initializers).
   */
  public Map<String, float[]> trainedWeights() {
    java.util.Set<String> names = java.util.Set.copyOf(trainableNames);
    return weights(names::contains);
  }

  private Map<String, float[]> weights(java.util.function.Predicate<String> which) {
    Map<String, float[]> out = new java.util.LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getParameters()) {
      if (which.test(p.getKey())) {
        out.put(p.getKey(), p.getValue().getArray().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
      }
    }
    return out;
  }

  public List<Parameter> trainableParameters() {
    return List.copyOf(trainable);
  }

  /** The tower's raw output (not normalised) for one input batch; call inside a GradientCollector to train. */
  public NDArray forward(NDArray input) {
    NDList out = block.forward(new ParameterStore(input.getManager(), false), new NDList(input), true);
    return out.singletonOrThrow();
  }

  /**
   * The output without gradients, for validation. Runs the module as in training: DJL's inference mode
   * makes inference tensors that a module loaded with trainParam cannot mix with its trainable ones, and
   * CLIP towers have no dropout or batch statistics, so both modes compute the same function.
   */
  public NDArray embed(NDArray input) {
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // no autograd graph for validation passes, on any thread
    try {
      return forward(input).stopGradient();
    } finally {
      JniUtils.setGradMode(grad);
    }
  }

  /** Writes the module, with its current weights, as a TorchScript file that DJL and torch.jit.load read. */
  public void save(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      JniUtils.writeModule(block, out, false);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void close() {
    model.close();
  }
}
