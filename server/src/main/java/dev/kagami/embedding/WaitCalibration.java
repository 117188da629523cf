package dev.kagami.embedding;

import java.util.Arrays;

/**
 * How far a lane's expected call time ({@link ServiceTime} estimates of the stages ahead) falls short of
 * what admitted calls really take, so that admission by time holds its budget at a high percentile and
 * not only on average. Each admitted call that ends adds the ratio of its real time (admission to answer)
 * to the time expected when it was admitted; the factor is the {@value #PERCENTILE}th percentile of the
 * last {@value #WINDOW} ratios, recomputed every {@value #EVERY} samples, never below 1 (an estimate that
 * runs long is not shortened) and at most {@value #MAX_FACTOR}. What the estimate misses (waiting for a
 * core, a GC pause, a batch that formed late) is learnt from the calls themselves instead of guessed.
 * Calls expected to take under {@value #MIN_EXPECTED_NANOS} ns teach nothing: on an idle server their
 * ratio is noise.
 */
final class WaitCalibration {

  static final int WINDOW = 256;
  static final int EVERY = 16;
  static final int PERCENTILE = 95;
  static final double MAX_FACTOR = 4.0;
  static final long MIN_EXPECTED_NANOS = 5_000_000L;

  private final double[] ratios = new double[WINDOW];
  private int count;
  private int next;
  private volatile double factor = 1.0;

  /** Records that a call expected to take {@code expectedNanos} took {@code actualNanos}. */
  synchronized void add(long expectedNanos, long actualNanos) {
    if (expectedNanos < MIN_EXPECTED_NANOS || actualNanos < 0) {
      return;
    }
    ratios[next] = Math.min(MAX_FACTOR, (double) actualNanos / expectedNanos);
    next = (next + 1) % WINDOW;
    count = Math.min(WINDOW, count + 1);
    if (count % EVERY == 0 || count == WINDOW && next % EVERY == 0) {
      double[] s = Arrays.copyOf(ratios, count);
      Arrays.sort(s);
      factor = Math.max(1.0, s[Math.min(count - 1, (int) Math.ceil(PERCENTILE / 100.0 * count) - 1)]);
    }
  }

  /** {@code expectedNanos} scaled by the current factor. */
  long calibrate(long expectedNanos) {
    return (long) (expectedNanos * factor);
  }

  /** The current factor (1 until enough calls have taught it). */
  double factor() {
    return factor;
  }
}
