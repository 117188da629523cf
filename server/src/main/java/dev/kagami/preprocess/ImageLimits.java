package dev.kagami.preprocess;

/** Limits checked before an image is decoded. */
public record ImageLimits(int maxBytes, long maxPixels) {
  public ImageLimits {
    if (maxBytes <= 0 || maxPixels <= 0) {
      throw new IllegalArgumentException("image limits must be positive: " + maxBytes + " bytes, " + maxPixels + " pixels");
    }
  }
}
