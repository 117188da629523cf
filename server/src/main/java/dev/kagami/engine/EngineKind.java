package dev.kagami.engine;

import dev.kagami.error.KagamiException.InvalidInput;
import java.util.Arrays;
import java.util.Locale;

/** The engines Kagami can run a package on, with DJL's engine names. */
public enum EngineKind {
  /** ONNX Runtime on CPU: the default for serving. Runs {@code visual.onnx} / {@code textual.onnx}. */
  ONNXRUNTIME("OnnxRuntime"),
  /** PyTorch (libtorch) on TorchScript {@code visual.pt} / {@code textual.pt}; also the training engine. */
  PYTORCH("PyTorch"),
  /** NVIDIA TensorRT on GPU hosts with TensorRT 8.x libraries; builds engines from the ONNX files. */
  TENSORRT("TensorRT");

  private final String djlName;

  EngineKind(String djlName) {
    this.djlName = djlName;
  }

  public String djlName() {
    return djlName;
  }

  public static EngineKind parse(String s) {
    String k = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    for (EngineKind e : values()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(k) || e.djlName.toLowerCase(Locale.ROOT).equals(k)) {
        return e;
      }
    }
    if (k.equals("onnx") || k.equals("ort")) {
      return ONNXRUNTIME;
    }
    if (k.equals("torch") || k.equals("torchscript")) {
      return PYTORCH;
    }
    if (k.equals("trt")) {
      return TENSORRT;
    }
    throw new InvalidInput("unknown engine '" + s + "'; choose one of " + Arrays.toString(values()).toLowerCase(Locale.ROOT));
  }
}
