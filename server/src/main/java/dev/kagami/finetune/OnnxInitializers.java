package dev.kagami.finetune;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The initializer (parameter) names of an ONNX model, read by walking the protobuf and skipping every
 * tensor's data, so a 350 MB tower costs a sequential read, not its size in memory.
 */
public final class OnnxInitializers {

  private static final int MODEL_GRAPH = 7;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int TENSOR_NAME = 8;

  private OnnxInitializers() {}

  public static List<String> names(Path onnx) throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = Files.newInputStream(onnx)) {
      CodedInputStream model = CodedInputStream.newInstance(in);
      model.setSizeLimit(Integer.MAX_VALUE);
      for (int tag; (tag = model.readTag()) != 0; ) {
        if (WireFormat.getTagFieldNumber(tag) != MODEL_GRAPH) {
          model.skipField(tag);
          continue;
        }
        int graphLimit = model.pushLimit(model.readRawVarint32());
        for (int g; (g = model.readTag()) != 0; ) {
          if (WireFormat.getTagFieldNumber(g) != GRAPH_INITIALIZER) {
            model.skipField(g);
            continue;
          }
          int tensorLimit = model.pushLimit(model.readRawVarint32());
          for (int t; (t = model.readTag()) != 0; ) {
            if (WireFormat.getTagFieldNumber(t) == TENSOR_NAME) {
              names.add(model.readStringRequireUtf8());
            } else {
              model.skipField(t);
            }
          }
          model.popLimit(tensorLimit);
        }
        model.popLimit(graphLimit);
      }
    }
    return names;
  }
}
