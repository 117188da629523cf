package dev.kagami.preprocess;

/**
 * Bicubic resampling exactly as Pillow's {@code Image.resize(size, Image.BICUBIC)} does it (Pillow's
 * libImaging/Resample.c), which is what CLIP's reference preprocessing calls through torchvision.
 *
 * <p>What matters, and what Java2D's bicubic does not do: when shrinking, the filter's support is widened
 * by the scale factor (antialiasing), so every source pixel under an output pixel contributes. The
 * filter is Keys' cubic with a = -0.5 and support 2. Pillow applies the horizontal pass first, rounds to
 * 8 bits, then the vertical pass, using fixed-point weights with 22 fractional bits; this class does
 * the same, so results match Pillow's bit for bit.
 *
 * <p>{@link #resizeRegion} computes only a window of the resized image (the centre crop CLIP keeps). Each
 * output pixel depends only on its own coordinates, so the window is identical to cropping the full
 * resize, but an extreme aspect ratio (1 x 100000 resized to 224 x 22400000) costs no more than the
 * window.
 */
public final class PilBicubic {

  private static final int PRECISION_BITS = 32 - 8 - 2;
  private static final double SUPPORT = 2.0;
  private static final double A = -0.5;

  private PilBicubic() {}

  static double filter(double x) {
    x = Math.abs(x);
    if (x < 1.0) {
      return ((A + 2.0) * x - (A + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * A;
    }
    return 0.0;
  }

  /**
   * Fixed-point weights for output samples {@code [from, from + count)} of a resize from {@code inSize} to
   * {@code outSize}: output i reads {@code bounds[2i+1]} inputs from {@code bounds[2i]}.
   */
  record Coefficients(int[] bounds, int[] weights, int ksize) {
    int first() {
      return bounds[0];
    }

    int end() {
      int e = 0;
      for (int i = 0; i < bounds.length; i += 2) {
        e = Math.max(e, bounds[i] + bounds[i + 1]);
      }
      return e;
    }
  }

  static Coefficients coefficients(int inSize, long outSize, long from, int count) {
    double scale = (double) inSize / outSize;
    double filterscale = Math.max(scale, 1.0);
    double support = SUPPORT * filterscale;
    int ksize = (int) Math.ceil(support) * 2 + 1;
    int[] bounds = new int[count * 2];
    int[] weights = new int[count * ksize];
    double[] k = new double[ksize];
    double ss = 1.0 / filterscale;
    for (int i = 0; i < count; i++) {
      long xx = from + i;
      double center = (xx + 0.5) * scale;
      int xmin = (int) (center - support + 0.5);
      if (xmin < 0) {
        xmin = 0;
      }
      int xmax = (int) (center + support + 0.5);
      if (xmax > inSize) {
        xmax = inSize;
      }
      xmax -= xmin;
      double ww = 0.0;
      for (int x = 0; x < xmax; x++) {
        double w = filter((x + xmin - center + 0.5) * ss);
        k[x] = w;
        ww += w;
      }
      for (int x = 0; x < xmax; x++) {
        double w = ww != 0.0 ? k[x] / ww : k[x];
        weights[i * ksize + x] = (int) (w < 0 ? w * (1 << PRECISION_BITS) - 0.5 : w * (1 << PRECISION_BITS) + 0.5);
      }
      bounds[i * 2] = xmin;
      bounds[i * 2 + 1] = xmax;
    }
    return new Coefficients(bounds, weights, ksize);
  }

  private static int clip8(int v) {
    int s = v >> PRECISION_BITS;
    return s < 0 ? 0 : Math.min(s, 255);
  }

  /** Resizes {@code in} to {@code outW x outH}. */
  public static RgbImage resize(RgbImage in, int outW, int outH) {
    return resizeRegion(in, outW, outH, 0, 0, outW, outH);
  }

  /**
   * The window {@code [left, left + w) x [top, top + h)} of {@code in} resized to {@code outW x outH},
   * without computing the rest.
   */
  public static RgbImage resizeRegion(RgbImage in, long outW, long outH, long left, long top, int w, int h) {
    if (left < 0 || top < 0 || left + w > outW || top + h > outH) {
      throw new IllegalArgumentException("window " + w + "x" + h + "+" + left + "+" + top + " outside " + outW + "x" + outH);
    }
    boolean needH = outW != in.width();
    boolean needV = outH != in.height();
    // Source rows the vertical pass reads (all needed rows when there is no vertical pass).
    Coefficients vc = needV ? coefficients(in.height(), outH, top, h) : null;
    int rowFrom = needV ? vc.first() : (int) top;
    int rowEnd = needV ? vc.end() : (int) top + h;
    int[] src = in.pixels();
    int inW = in.width();
    int rows = rowEnd - rowFrom;
    int[] mid;
    if (needH) {
      Coefficients hc = coefficients(inW, outW, left, w);
      mid = new int[w * rows];
      int half = 1 << (PRECISION_BITS - 1);
      for (int y = 0; y < rows; y++) {
        int row = (y + rowFrom) * inW;
        for (int xx = 0; xx < w; xx++) {
          int xmin = hc.bounds[xx * 2];
          int xmax = hc.bounds[xx * 2 + 1];
          int kOff = xx * hc.ksize;
          int r = half;
          int g = half;
          int b = half;
          for (int x = 0; x < xmax; x++) {
            int p = src[row + x + xmin];
            int k = hc.weights[kOff + x];
            r += ((p >> 16) & 0xFF) * k;
            g += ((p >> 8) & 0xFF) * k;
            b += (p & 0xFF) * k;
          }
          mid[y * w + xx] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
        }
      }
    } else {
      mid = new int[w * rows];
      for (int y = 0; y < rows; y++) {
        System.arraycopy(src, (y + rowFrom) * inW + (int) left, mid, y * w, w);
      }
    }
    if (!needV) {
      return new RgbImage(w, h, mid);
    }
    int[] out = new int[w * h];
    int half = 1 << (PRECISION_BITS - 1);
    for (int yy = 0; yy < h; yy++) {
      int ymin = vc.bounds[yy * 2] - rowFrom;
      int ymax = vc.bounds[yy * 2 + 1];
      int kOff = yy * vc.ksize;
      for (int xx = 0; xx < w; xx++) {
        int r = half;
        int g = half;
        int b = half;
        for (int y = 0; y < ymax; y++) {
          int p = mid[(y + ymin) * w + xx];
          int k = vc.weights[kOff + y];
          r += ((p >> 16) & 0xFF) * k;
          g += ((p >> 8) & 0xFF) * k;
          b += (p & 0xFF) * k;
        }
        out[yy * w + xx] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
      }
    }
    return new RgbImage(w, h, out);
  }
}
