package dev.kagami.engine.djl;

/** A dense tensor on its way into an engine: float or int64 data, its shape, and the input name. */
record TensorInput(float[] floats, long[] longs, long[] shape, String name) {

  static TensorInput ofFloats(float[] data, long[] shape, String name) {
    return new TensorInput(data, null, shape, name);
  }

  static TensorInput ofLongs(long[] data, long[] shape, String name) {
    return new TensorInput(null, data, shape, name);
  }
}
