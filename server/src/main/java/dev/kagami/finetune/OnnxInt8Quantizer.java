package dev.kagami.finetune;

import com.google.protobuf.ByteString;
import dev.kagami.error.KagamiException.InvalidModelPackage;
import dev.kagami.finetune.onnx.AttributeProto;
import dev.kagami.finetune.onnx.GraphProto;
import dev.kagami.finetune.onnx.ModelProto;
import dev.kagami.finetune.onnx.NodeProto;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of an ONNX tower, written in Java with the layout of ONNX Runtime's
 * {@code quantize_dynamic} (per-channel, symmetric weights): every {@code MatMul} whose right operand is a
 * 2-D float weight (an initializer, or the {@code Transpose} of one, as PyTorch exports {@code nn.Linear}
 * without constant folding) becomes
 *
 * <pre>
 *   DynamicQuantizeLinear(A) -> A_q (uint8), A_scale, A_zero
 *   MatMulInteger(A_q, W_q (int8 [K, N]), A_zero, W_zero (int8 [N], zeros)) -> int32
 *   Cast(float) * (A_scale * W_scale [N]) -> the MatMul's output
 * </pre>
 *
 * with {@code W_scale[n] = max|W[:, n]| / 127}. ONNX Runtime fuses the pattern into its integer matrix
 * kernels. Activations are quantized per call, so no calibration data is needed; the float weights that
 * nothing else uses are dropped. Everything else in the graph is copied unchanged.
 */
public final class OnnxInt8Quantizer {

  static final int FLOAT = 1;
  static final int UINT8 = 2;
  static final int INT8 = 3;
  static final int ATTR_INT = 2;

  /** What quantizing one file did. */
  public record Result(int quantizedMatMuls, int floatMatMulsLeft, long weightsQuantized, long bytesBefore, long bytesAfter) {}

  private OnnxInt8Quantizer() {}

  /** Quantizes {@code in} into {@code out} (written atomically). */
  public static Result quantize(Path in, Path out) throws IOException {
    ModelProto model;
    try (InputStream s = Files.newInputStream(in)) {
      model = ModelProto.parseFrom(s);
    }
    GraphProto graph = model.getGraph();
    Map<String, TensorProto> inits = new HashMap<>();
    graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
    Map<String, NodeProto> producer = new HashMap<>();
    graph.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producer.put(o, n)));

    List<NodeProto> nodes = new ArrayList<>();
    List<TensorProto> added = new ArrayList<>();
    Map<String, String> quantizedWeights = new HashMap<>(); // weight source -> prefix of its int8 initializers
    int quantized = 0;
    int left = 0;
    long weights = 0;
    for (NodeProto n : graph.getNodeList()) {
      if (!n.getOpType().equals("MatMul") || !n.getDomain().isEmpty()) {
        nodes.add(n);
        continue;
      }
      Weight w = weightOf(n.getInput(1), inits, producer);
      if (w == null) {
        left++;
        nodes.add(n);
        continue;
      }
      String prefix = quantizedWeights.get(w.source());
      if (prefix == null) {
        prefix = unique(w.source() + "_int8", inits.keySet());
        quantizedWeights.put(w.source(), prefix);
        added.addAll(quantizeWeight(prefix, w.values(), w.k(), w.n()));
        weights += (long) w.k() * w.n();
      }
      String base = (n.getName().isEmpty() ? n.getOutput(0) : n.getName()) + "_int8";
      String a = n.getInput(0);
      nodes.add(node("DynamicQuantizeLinear", base + "_quantize_a", List.of(a), List.of(base + "_a", base + "_a_scale",
          base + "_a_zero")));
      nodes.add(node("MatMulInteger", base + "_matmul", List.of(base + "_a", prefix + "_quantized", base + "_a_zero",
          prefix + "_zero"), List.of(base + "_int32")));
      nodes.add(node("Cast", base + "_cast", List.of(base + "_int32"), List.of(base + "_float")).toBuilder()
          .addAttribute(AttributeProto.newBuilder().setName("to").setI(FLOAT).setType(ATTR_INT)).build());
      nodes.add(node("Mul", base + "_scales", List.of(base + "_a_scale", prefix + "_scale"), List.of(base + "_scale")));
      nodes.add(node("Mul", base + "_rescale", List.of(base + "_float", base + "_scale"), List.of(n.getOutput(0))));
      quantized++;
    }
    if (quantized == 0) {
      throw new InvalidModelPackage(in + " has no MatMul with a float weight to quantize");
    }
    // drop what only the replaced MatMuls used: the Transpose nodes of their weights, then the float weights
    List<NodeProto> kept = dropUnused(nodes, graph);
    Set<String> used = new HashSet<>();
    kept.forEach(x -> used.addAll(x.getInputList()));
    GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(kept).clearInitializer();
    for (TensorProto t : graph.getInitializerList()) {
      if (used.contains(t.getName()) || !quantizedWeights.containsKey(t.getName())) {
        g.addInitializer(t);
      }
    }
    g.addAllInitializer(added);
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (OutputStream o = Files.newOutputStream(tmp)) {
      model.toBuilder().setGraph(g).build().writeTo(o);
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new Result(quantized, left, weights, Files.size(in), Files.size(out));
  }

  /** A 2-D float weight as {@code [k, n]} row-major, and the initializer it comes from. */
  private record Weight(String source, float[] values, int k, int n) {}

  private static Weight weightOf(String name, Map<String, TensorProto> inits, Map<String, NodeProto> producer) {
    TensorProto t = inits.get(name);
    if (t != null) {
      return is2dFloat(t) ? new Weight(name, floats(t), (int) t.getDims(0), (int) t.getDims(1)) : null;
    }
    NodeProto p = producer.get(name);
    if (p == null || !p.getOpType().equals("Transpose") || !p.getDomain().isEmpty()) {
      return null;
    }
    TensorProto src = inits.get(p.getInput(0));
    if (src == null || !is2dFloat(src)) {
      return null;
    }
    for (AttributeProto a : p.getAttributeList()) {
      if (a.getName().equals("perm") && !(a.getIntsCount() == 2 && a.getInts(0) == 1 && a.getInts(1) == 0)) {
        return null;
      }
    }
    int rows = (int) src.getDims(0);
    int cols = (int) src.getDims(1);
    float[] v = floats(src);
    float[] tr = new float[v.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        tr[c * rows + r] = v[r * cols + c];
      }
    }
    return new Weight(src.getName(), tr, cols, rows);
  }

  private static boolean is2dFloat(TensorProto t) {
    return t.getDataType() == FLOAT && t.getDimsCount() == 2;
  }

  static float[] floats(TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      float[] v = new float[t.getRawData().size() / 4];
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      return v;
    }
    float[] v = new float[t.getFloatDataCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getFloatData(i);
    }
    return v;
  }

  /** The int8 weight, its per-column scales and zero points (all zero: symmetric). */
  static List<TensorProto> quantizeWeight(String prefix, float[] w, int k, int n) {
    float[] scale = new float[n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        scale[c] = Math.max(scale[c], Math.abs(w[r * n + c]));
      }
    }
    for (int c = 0; c < n; c++) {
      scale[c] = scale[c] == 0 ? 1f : scale[c] / 127f;
    }
    byte[] q = new byte[k * n];
    for (int r = 0; r < k; r++) {
      for (int c = 0; c < n; c++) {
        q[r * n + c] = (byte) Math.max(-127, Math.min(127, Math.round(w[r * n + c] / scale[c])));
      }
    }
    ByteBuffer s = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    s.asFloatBuffer().put(scale);
    return List.of(
        TensorProto.newBuilder().setName(prefix + "_quantized").setDataType(INT8).addDims(k).addDims(n)
            .setRawData(ByteString.copyFrom(q)).build(),
        TensorProto.newBuilder().setName(prefix + "_scale").setDataType(FLOAT).addDims(n)
            .setRawData(ByteString.copyFrom(s.array())).build(),
        TensorProto.newBuilder().setName(prefix + "_zero").setDataType(INT8).addDims(n)
            .setRawData(ByteString.copyFrom(new byte[n])).build());
  }

  private static NodeProto node(String op, String name, List<String> inputs, List<String> outputs) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addAllOutput(outputs).build();
  }

  private static String unique(String name, Set<String> taken) {
    String n = name;
    for (int i = 2; taken.contains(n); i++) {
      n = name + "_" + i;
    }
    return n;
  }

  /** {@code nodes} less the Transpose nodes whose outputs nothing reads any more (and are not graph outputs). */
  private static List<NodeProto> dropUnused(List<NodeProto> nodes, GraphProto graph) {
    Set<String> read = new HashSet<>();
    nodes.forEach(x -> read.addAll(x.getInputList()));
    Set<String> graphOutputs = graphOutputNames(graph);
    List<NodeProto> kept = new ArrayList<>();
    for (NodeProto x : nodes) {
      boolean dead = x.getOpType().equals("Transpose") && x.getOutputList().stream()
          .noneMatch(o -> read.contains(o) || graphOutputs.contains(o));
      if (!dead) {
        kept.add(x);
      }
    }
    return kept;
  }

  /**
   * The graph's output names. They are not among the fields this partial schema reads (GraphProto field
   * 12, ValueInfoProto field 1), so they are read from the unknown fields.
   */
  private static Set<String> graphOutputNames(GraphProto graph) {
    Set<String> names = new HashSet<>();
    var field = graph.getUnknownFields().getField(12);
    if (field != null) {
      for (ByteString vi : field.getLengthDelimitedList()) {
        try {
          var f = com.google.protobuf.UnknownFieldSet.parseFrom(vi).getField(1);
          if (f != null && !f.getLengthDelimitedList().isEmpty()) {
            names.add(f.getLengthDelimitedList().get(0).toStringUtf8());
          }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          throw new InvalidModelPackage("unreadable graph output in the ONNX model: " + e.getMessage());
        }
      }
    }
    return names;
  }
}
