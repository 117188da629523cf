package dev.kagami.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kagami.finetune.onnx.GraphProto;
import dev.kagami.finetune.onnx.ModelProto;
import dev.kagami.finetune.onnx.NodeProto;
import dev.kagami.finetune.onnx.ValueInfoProto;
import dev.kagami.model.ModelManifest;
import dev.kagami.model.ModelPackage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Kagami package in the layout transformers.js reads from local files: {@code config.json} (model type
 * clip), {@code preprocessor_config.json} (CLIPImageProcessor with the package's size, interpolation, mean
 * and std), {@code tokenizer.json} with a {@code tokenizer_config.json} (context length, pad token), and the
 * towers as {@code onnx/vision_model.onnx} and {@code onnx/text_model.onnx}, whose input and output are
 * renamed to {@code pixel_values}/{@code image_embeds} and {@code input_ids}/{@code text_embeds} where the
 * package names them otherwise (a file that needs no renaming is linked, not copied).
 */
final class PeerPackage {
  private PeerPackage() {}

  static Path write(ModelPackage pkg, Path out) throws IOException {
    ModelManifest m = pkg.manifest();
    ModelManifest.ImageSpec img = m.image();
    if (img.resizeMode() != ModelManifest.ResizeMode.SHORTEST) {
      throw new IllegalArgumentException("the package resizes " + img.resizeMode() + "; transformers.js's CLIPImageProcessor "
          + "only resizes the shorter side and crops the centre");
    }
    int resample = switch (img.interpolation()) {
      case "bicubic" -> 3;
      case "bilinear" -> 2;
      case "nearest" -> 0;
      default -> throw new IllegalArgumentException("no transformers.js resample for interpolation " + img.interpolation());
    };
    ObjectMapper json = new ObjectMapper();
    Files.createDirectories(out.resolve("onnx"));
    ObjectNode config = json.createObjectNode().put("model_type", "clip").put("projection_dim", m.embeddingDimension());
    config.putArray("architectures").add("CLIPModel");
    json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), config);
    ObjectNode pre = json.createObjectNode().put("image_processor_type", "CLIPImageProcessor")
        .put("feature_extractor_type", "CLIPFeatureExtractor").put("do_resize", true).put("resample", resample)
        .put("do_center_crop", true).put("do_rescale", true).put("rescale_factor", 1 / 255.0).put("do_normalize", true)
        .put("do_convert_rgb", true);
    pre.putObject("size").put("shortest_edge", img.size());
    pre.putObject("crop_size").put("height", img.size()).put("width", img.size());
    img.mean().forEach(pre.putArray("image_mean")::add);
    img.std().forEach(pre.putArray("image_std")::add);
    json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("preprocessor_config.json").toFile(), pre);
    Files.copy(pkg.tokenizer(), out.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Map<Integer, String> special = specialTokens(json, pkg.tokenizer());
    ModelManifest.TextSpec t = m.text();
    ObjectNode tc = json.createObjectNode().put("tokenizer_class", "CLIPTokenizer").put("model_max_length", t.contextLength())
        .put("do_lower_case", t.lowerCase()).put("bos_token", token(special, t.startTokenId()))
        .put("eos_token", token(special, t.endTokenId())).put("pad_token", token(special, t.padTokenId()))
        .put("unk_token", token(special, t.endTokenId()));
    json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("tokenizer_config.json").toFile(), tc);
    ModelManifest.TensorNames n = m.tensors();
    tower(pkg.visualOnnx(), out.resolve("onnx/vision_model.onnx"), n == null ? null : n.imageInput(), "pixel_values",
        n == null ? null : n.imageOutput(), "image_embeds");
    tower(pkg.textualOnnx(), out.resolve("onnx/text_model.onnx"), n == null ? null : n.textInput(), "input_ids",
        n == null ? null : n.textOutput(), "text_embeds");
    return out;
  }

  private static Map<Integer, String> specialTokens(ObjectMapper json, Path tokenizer) throws IOException {
    Map<Integer, String> out = new java.util.HashMap<>();
    json.readTree(tokenizer.toFile()).path("added_tokens").forEach(a -> out.put(a.path("id").asInt(), a.path("content").asText()));
    return out;
  }

  private static String token(Map<Integer, String> special, int id) {
    String s = special.get(id);
    if (s == null) {
      throw new IllegalArgumentException("token id " + id + " is not an added token of the tokenizer");
    }
    return s;
  }

  /** Links {@code from} at {@code to}, or writes it with its one input and output renamed where they differ. */
  static void tower(Path from, Path to, String input, String wantedInput, String output, String wantedOutput) throws IOException {
    Files.deleteIfExists(to);
    ModelProto model;
    try (InputStream in = Files.newInputStream(from)) {
      model = ModelProto.parseFrom(in);
    }
    GraphProto g = model.getGraph();
    java.util.Set<String> initializers = new java.util.HashSet<>();
    g.getInitializerList().forEach(i -> initializers.add(i.getName()));
    String in = input != null ? input : only(g.getInputList().stream().map(ValueInfoProto::getName)
        .filter(x -> !initializers.contains(x)).toList(), from, "input");
    String outName = output != null ? output : only(g.getOutputList().stream().map(ValueInfoProto::getName).toList(), from, "output");
    if (in.equals(wantedInput) && outName.equals(wantedOutput)) {
      Files.createSymbolicLink(to, from.toAbsolutePath());
      return;
    }
    Map<String, String> rename = Map.of(in, wantedInput, outName, wantedOutput);
    GraphProto.Builder b = g.toBuilder();
    for (int i = 0; i < b.getInputCount(); i++) {
      b.setInput(i, b.getInput(i).toBuilder().setName(rename.getOrDefault(b.getInput(i).getName(), b.getInput(i).getName())));
    }
    for (int i = 0; i < b.getOutputCount(); i++) {
      b.setOutput(i, b.getOutput(i).toBuilder().setName(rename.getOrDefault(b.getOutput(i).getName(), b.getOutput(i).getName())));
    }
    for (int i = 0; i < b.getNodeCount(); i++) {
      NodeProto.Builder node = b.getNode(i).toBuilder();
      for (int k = 0; k < node.getInputCount(); k++) {
        node.setInput(k, rename.getOrDefault(node.getInput(k), node.getInput(k)));
      }
      for (int k = 0; k < node.getOutputCount(); k++) {
        node.setOutput(k, rename.getOrDefault(node.getOutput(k), node.getOutput(k)));
      }
      b.setNode(i, node);
    }
    try (OutputStream o = Files.newOutputStream(to)) {
      model.toBuilder().setGraph(b).build().writeTo(o);
    }
  }

  private static String only(java.util.List<String> names, Path file, String what) {
    if (names.size() != 1) {
      throw new IllegalArgumentException(file + " has " + names.size() + " graph " + what + "s " + names + "; name the one to use");
    }
    return names.get(0);
  }
}
