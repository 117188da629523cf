package dev.kagami.preprocess;

/** Limits checked before an image is decoded. */
public record ImageLimits(int maxBytes, long maxPixels) {
  /** The server's default limits (16 MB encoded, 40 megapixels decoded), for command-line tools. */
  public static final ImageLimits DEFAULT = new ImageLimits(16_000_000, 40_000_000L);

  public ImageLimits {
    if (maxBytes <= 0 || maxPixels <= 0) {
      throw new IllegalArgumentException("image limits must be positive: " + maxBytes + " bytes, " + maxPixels + " pixels");
    }
  }
}
