package dev.kagami.preprocess;

/**
 * An 8-bit RGB image, row-major, one {@code 0xRRGGBB} int per pixel. What the decoder hands to the CLIP
 * transform; also what tests compare.
 */
public record RgbImage(int width, int height, int[] pixels) {
  public RgbImage {
    if (width <= 0 || height <= 0 || pixels.length != width * height) {
      throw new IllegalArgumentException("bad image shape " + width + "x" + height + " for " + pixels.length + " pixels");
    }
  }

  public int rgb(int x, int y) {
    return pixels[y * width + x];
  }
}
