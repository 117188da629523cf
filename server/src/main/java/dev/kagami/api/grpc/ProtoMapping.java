package dev.kagami.api.grpc;

import dev.kagami.api.v1.EmbedInput;
import dev.kagami.api.v1.EmbedRequest;
import dev.kagami.api.v1.EmbedResponse;
import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.ModelRef;
import dev.kagami.embedding.EmbedResult;
import dev.kagami.error.KagamiException.InvalidInput;
import java.util.ArrayList;
import java.util.List;

/** Converts between kagami.v1 messages and the embedding layer's values. */
final class ProtoMapping {

  private ProtoMapping() {}

  static List<dev.kagami.embedding.EmbedInput> inputs(EmbedRequest req) {
    List<dev.kagami.embedding.EmbedInput> out = new ArrayList<>(req.getInputsCount());
    for (int i = 0; i < req.getInputsCount(); i++) {
      EmbedInput in = req.getInputs(i);
      switch (in.getContentCase()) {
        case TEXT -> out.add(dev.kagami.embedding.EmbedInput.text(in.getText()));
        case IMAGE -> out.add(dev.kagami.embedding.EmbedInput.image(in.getImage().toByteArray()));
        default -> throw new InvalidInput("input " + i + ": has neither text nor image");
      }
    }
    return out;
  }

  static EmbedResponse response(EmbedResult r, String requestId) {
    EmbedResponse.Builder b = EmbedResponse.newBuilder()
        .setModel(ModelRef.newBuilder().setName(r.modelName()).setVersion(r.modelVersion()))
        .setDimension(r.dimension())
        .setRequestId(requestId);
    for (float[] v : r.vectors()) {
      Embedding.Builder e = Embedding.newBuilder();
      for (float x : v) {
        e.addValues(x);
      }
      b.addEmbeddings(e);
    }
    return b.build();
  }

  /** The model a request names; null when it names none. */
  static dev.kagami.model.ModelId modelId(dev.kagami.api.v1.ModelRef ref) {
    if (ref.getName().isEmpty()) {
      if (!ref.getVersion().isEmpty()) {
        throw new dev.kagami.error.KagamiException.InvalidInput("model version '" + ref.getVersion()
            + "' given without a model name");
      }
      return null;
    }
    return new dev.kagami.model.ModelId(ref.getName(), ref.getVersion());
  }
}
