package dev.kagami.finetune;

import dev.kagami.preprocess.PilBicubic;
import dev.kagami.preprocess.RgbImage;
import java.util.SplittableRandom;

/**
 * The authors' training augmentation (../shared/reference/method.md, "Hyperparameters"): resize the
 * shorter side to 1.125 x the model's size (Pillow-exact bicubic), take a random crop of the model's size,
 * flip horizontally with p = 0.5, and jitter brightness, contrast and saturation by factors drawn from
 * [0.6, 1.4] (torchvision's ColorJitter(0.4, 0.4, 0.4), applied here in that fixed order). Evaluation uses
 * the same resize and a centre crop. Every draw comes from the given random source, so a seeded run
 * repeats exactly.
 */
public final class Augment {

  public static final double RESIZE = 1.125;
  public static final double JITTER = 0.4;

  private final int size;

  public Augment(int size) {
    this.size = size;
  }

  private RgbImage resize(RgbImage img) {
    int target = (int) Math.round(size * RESIZE);
    int w = img.width();
    int h = img.height();
    int nw = w <= h ? target : (int) ((double) target * w / h);
    int nh = w <= h ? (int) ((double) target * h / w) : target;
    return PilBicubic.resize(img, nw, nh);
  }

  private RgbImage crop(RgbImage img, int left, int top) {
    int[] out = new int[size * size];
    for (int y = 0; y < size; y++) {
      System.arraycopy(img.pixels(), (y + top) * img.width() + left, out, y * size, size);
    }
    return new RgbImage(size, size, out);
  }

  /** Evaluation view: resize 1.125x, centre crop. */
  public RgbImage eval(RgbImage img) {
    RgbImage r = resize(img);
    return crop(r, (r.width() - size) / 2, (r.height() - size) / 2);
  }

  /** A training view drawn from {@code rnd}. */
  public RgbImage train(RgbImage img, SplittableRandom rnd) {
    RgbImage r = resize(img);
    RgbImage c = crop(r, rnd.nextInt(r.width() - size + 1), rnd.nextInt(r.height() - size + 1));
    int[] px = c.pixels().clone();
    if (rnd.nextBoolean()) {
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size / 2; x++) {
          int a = y * size + x;
          int b = y * size + size - 1 - x;
          int t = px[a];
          px[a] = px[b];
          px[b] = t;
        }
      }
    }
    double brightness = 1 + (rnd.nextDouble() * 2 - 1) * JITTER;
    double contrast = 1 + (rnd.nextDouble() * 2 - 1) * JITTER;
    double saturation = 1 + (rnd.nextDouble() * 2 - 1) * JITTER;
    // brightness: scale; contrast: blend with the mean grey level; saturation: blend with each pixel's grey
    double meanGray = 0;
    for (int p : px) {
      meanGray += gray(scale(p, brightness));
    }
    meanGray /= px.length;
    for (int i = 0; i < px.length; i++) {
      int p = scale(px[i], brightness);
      p = blend(p, (int) Math.round(meanGray), contrast);
      p = blend(p, gray(p), saturation);
      px[i] = p;
    }
    return new RgbImage(size, size, px);
  }

  static int gray(int p) {
    // ITU-R 601-2 luma, as PIL's convert("L") and torchvision's rgb_to_grayscale
    return (int) Math.round(0.299 * ((p >> 16) & 0xFF) + 0.587 * ((p >> 8) & 0xFF) + 0.114 * (p & 0xFF));
  }

  static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  static int scale(int p, double f) {
    return (clamp(((p >> 16) & 0xFF) * f) << 16) | (clamp(((p >> 8) & 0xFF) * f) << 8) | clamp((p & 0xFF) * f);
  }

  /** {@code f * p + (1 - f) * g} per channel, as torchvision's _blend. */
  static int blend(int p, int g, double f) {
    return (clamp(f * ((p >> 16) & 0xFF) + (1 - f) * g) << 16) | (clamp(f * ((p >> 8) & 0xFF) + (1 - f) * g) << 8)
        | clamp(f * (p & 0xFF) + (1 - f) * g);
  }
}
