package dev.kagami.index;

/**
 * What a collection is, without what it holds: its name, dimension, model ({@code name/version}) and
 * quantization. Cheap to look up (no counting, no file sizes), for the request path.
 */
public record CollectionSpec(String name, int dimension, String model, VectorStore.Quantization quantization) {}
