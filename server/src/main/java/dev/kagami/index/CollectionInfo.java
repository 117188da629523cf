package dev.kagami.index;

/**
 * A collection ({@code quarantinedRecords}: write-ahead log records that replay could not apply and set aside,
 * ever). Its vectors all come from one model version ({@code model} = "name/version"), because
 * vectors of two models are not comparable.
 */
public record CollectionInfo(String name, int dimension, String model, VectorStore.Quantization quantization, long count,
    long sizeOnDiskBytes, long quarantinedRecords) {}
