package dev.kagami.finetune;

import com.google.protobuf.ByteString;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.finetune.onnx.GraphProto;
import dev.kagami.finetune.onnx.ModelProto;
import dev.kagami.finetune.onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Produces the tuned ONNX tower in Java: the base model's initializers are replaced, by parameter name,
 * with the tuned weights; the graph and everything else are copied unchanged. This needs an ONNX exported
 * without constant folding (Kagami's fixture script does so), where each TorchScript parameter is an
 * initializer of the same name.
 */
public final class OnnxWeightWriter {

  private OnnxWeightWriter() {}

  /**
   * Writes {@code base} with {@code weights} (parameter name to float32 values) to {@code out}. Every
   * weight must have an initializer of its name, FLOAT type and element count.
   */
  public static void write(Path base, Map<String, float[]> weights, Path out) throws IOException {
    ModelProto model;
    try (InputStream in = Files.newInputStream(base)) {
      model = ModelProto.parseFrom(in);
    }
    GraphProto.Builder graph = model.getGraph().toBuilder();
    Set<String> done = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      TensorProto t = graph.getInitializer(i);
      float[] w = weights.get(t.getName());
      if (w == null) {
        continue;
      }
      long count = 1;
      for (long d : t.getDimsList()) {
        count *= d;
      }
      if (t.getDataType() != 1) {
        problems.add(t.getName() + " is of ONNX type " + t.getDataType() + ", not FLOAT");
        continue;
      }
      if (count != w.length) {
        problems.add(t.getName() + " has " + count + " elements in the ONNX, " + w.length + " tuned");
        continue;
      }
      ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(w);
      graph.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(b.array())).build());
      done.add(t.getName());
    }
    for (String name : weights.keySet()) {
      if (!done.contains(name) && problems.stream().noneMatch(p -> p.startsWith(name + " "))) {
        problems.add(name + " has no initializer in " + base.getFileName()
            + " (export the ONNX without constant folding so initializers keep the parameter names)");
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidModelPackage("cannot write tuned weights into " + base + ": " + String.join("; ", problems));
    }
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (OutputStream o = Files.newOutputStream(tmp)) {
      model.toBuilder().setGraph(graph).build().writeTo(o);
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
