package dev.kagami.embedding;

/**
 * A stage's recent time per item, for admission by time. A moving average that one slow sample (a GC
 * pause, a cold JIT) cannot throw off: the first {@value #WARMUP} samples only teach it (it says 0, so
 * nothing is refused by time meanwhile) and it starts from their minimum; after that each sample counts
 * clamped to [half, twice] the current value, so a real change of speed is followed within a few samples
 * and a single outlier moves it by at most 20 %.
 */
final class ServiceTime {

  static final int WARMUP = 8;
  private static final double WEIGHT = 0.2;

  private double estimate;
  private double warmupMin = Double.MAX_VALUE;
  private int samples;

  /** Records that {@code items} took {@code nanos} together. */
  synchronized void add(long nanos, int items) {
    double per = (double) nanos / Math.max(1, items);
    samples++;
    if (samples <= WARMUP) {
      warmupMin = Math.min(warmupMin, per);
      if (samples == WARMUP) {
        estimate = warmupMin;
      }
      return;
    }
    double clamped = Math.max(estimate / 2, Math.min(estimate * 2, per));
    estimate = (1 - WEIGHT) * estimate + WEIGHT * clamped;
  }

  /** Nanoseconds per item; 0 while still warming up. */
  synchronized double nanosPerItem() {
    return estimate;
  }
}
