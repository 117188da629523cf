package dev.kagami.preprocess;

import dev.kagami.model.ModelManifest.ImageSpec;
import dev.kagami.model.ModelManifest.ResizeMode;

/**
 * CLIP's image transform: resize (Pillow-exact antialiased bicubic), crop or pad to a square, scale to
 * [0,1] and normalise with the package's mean and std, laid out channel-first (CHW) as float32.
 *
 * <p>For {@link ResizeMode#SHORTEST} this is OpenAI CLIP's {@code Resize(n) + CenterCrop(n)} from
 * torchvision: the shorter side becomes n, the longer one {@code int(n * long / short)}, and the crop
 * offset is {@code round((size - n) / 2)} with Python's round-half-to-even.
 */
public final class ClipImageTransform {

  private final int size;
  private final ResizeMode mode;
  private final float[] scale = new float[3];
  private final float[] shift = new float[3];

  public ClipImageTransform(ImageSpec spec) {
    this.size = spec.size();
    this.mode = spec.resizeMode();
    for (int c = 0; c < 3; c++) {
      // (v / 255 - mean) / std  ==  v * scale + shift
      scale[c] = (float) (1.0 / (255.0 * spec.std().get(c)));
      shift[c] = (float) (-spec.mean().get(c) / spec.std().get(c));
    }
  }

  public int size() {
    return size;
  }

  /** Floats per transformed image: 3 x size x size. */
  public int tensorLength() {
    return 3 * size * size;
  }

  /** The resized and cropped (or padded) 8-bit image, before normalisation. */
  public RgbImage resizeAndCrop(RgbImage img) {
    int w = img.width();
    int h = img.height();
    return switch (mode) {
      case SQUASH -> PilBicubic.resize(img, size, size);
      case SHORTEST -> {
        long nw;
        long nh;
        if (w <= h) {
          nw = size;
          nh = (long) ((double) size * h / w);
        } else {
          nw = (long) ((double) size * w / h);
          nh = size;
        }
        long top = (long) Math.rint((nh - size) / 2.0);
        long left = (long) Math.rint((nw - size) / 2.0);
        // Only the centre crop is computed: identical to resize-then-crop, bounded cost for any aspect ratio.
        yield PilBicubic.resizeRegion(img, nw, nh, left, top, size, size);
      }
      case LONGEST -> {
        double s = (double) size / Math.max(w, h);
        int nw = Math.max(1, (int) Math.round(w * s));
        int nh = Math.max(1, (int) Math.round(h * s));
        RgbImage resized = PilBicubic.resize(img, nw, nh);
        int[] out = new int[size * size];
        int left = (size - nw) / 2;
        int top = (size - nh) / 2;
        for (int y = 0; y < nh; y++) {
          System.arraycopy(resized.pixels(), y * nw, out, (y + top) * size + left, nw);
        }
        yield new RgbImage(size, size, out);
      }
    };
  }

  /** Writes the normalised CHW tensor of {@code img} into {@code dst} at {@code offset}. */
  public void apply(RgbImage img, float[] dst, int offset) {
    RgbImage sq = resizeAndCrop(img);
    int plane = size * size;
    int[] px = sq.pixels();
    for (int i = 0; i < plane; i++) {
      int p = px[i];
      dst[offset + i] = ((p >> 16) & 0xFF) * scale[0] + shift[0];
      dst[offset + plane + i] = ((p >> 8) & 0xFF) * scale[1] + shift[1];
      dst[offset + 2 * plane + i] = (p & 0xFF) * scale[2] + shift[2];
    }
  }

  public float[] apply(RgbImage img) {
    float[] out = new float[tensorLength()];
    apply(img, out, 0);
    return out;
  }
}
