package dev.kagami.finetune;

import ai.djl.ndarray.NDArray;

/** Small NDArray helpers the losses need. */
final class NDArrays {

  private NDArrays() {}

  /** Elementwise {@code condition ? a : b}, differentiable in a and b. */
  static NDArray where(NDArray condition, NDArray a, NDArray b) {
    NDArray c = condition.toType(a.getDataType(), false);
    return a.mul(c).add(b.mul(c.neg().add(1)));
  }
}
