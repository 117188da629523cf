package dev.kagami.embedding;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Recent calls of one kind (text or image Embed calls): per second over the last {@link #SECONDS} seconds,
 * how many ended, how many failed, how many were refused at admission, and their latencies in a log-spaced
 * histogram, so a snapshot gives calls per second and latency percentiles of the recent past without keeping
 * every sample. Buckets grow by {@link #GROWTH} from {@link #FIRST_BUCKET_MS}; a percentile is the upper edge
 * of the bucket it falls in (at most 12% above the true value).
 */
public final class CallStats {

  public static final int SECONDS = 60;
  static final double FIRST_BUCKET_MS = 0.05;
  static final double GROWTH = 1.12;
  static final int BUCKETS = 128; // 0.05 ms .. about 89 s

  /** The figures of one window: calls per second, failures and refusals counted, latency percentiles (ms; null with no call). */
  public record Snapshot(int windowSeconds, long calls, double callsPerSecond, long failed, long refused, Double p50Ms,
      Double p99Ms) {}

  private final LongSupplier clock;
  private final long[] second = new long[SECONDS];
  private final long[] calls = new long[SECONDS];
  private final long[] failed = new long[SECONDS];
  private final long[] refused = new long[SECONDS];
  private final int[][] histogram = new int[SECONDS][BUCKETS];

  public CallStats() {
    this(System::nanoTime);
  }

  CallStats(LongSupplier nanoClock) {
    this.clock = nanoClock;
    java.util.Arrays.fill(second, Long.MIN_VALUE);
  }

  /** A call that ended after {@code nanos}, successfully or not. */
  public synchronized void ended(long nanos, boolean ok) {
    int s = slot();
    calls[s]++;
    if (!ok) {
      failed[s]++;
    }
    histogram[s][bucket(nanos)]++;
  }

  /** A call refused before it was queued (overload, deadline). */
  public synchronized void refused() {
    refused[slot()]++;
  }

  /** The last {@code windowSeconds} (1..60) whole and current seconds. */
  public synchronized Snapshot snapshot(int windowSeconds) {
    int w = Math.max(1, Math.min(SECONDS, windowSeconds));
    long now = TimeUnit.NANOSECONDS.toSeconds(clock.getAsLong());
    long n = 0;
    long f = 0;
    long r = 0;
    int[] merged = new int[BUCKETS];
    for (int i = 0; i < SECONDS; i++) {
      if (second[i] > now - w && second[i] <= now) {
        n += calls[i];
        f += failed[i];
        r += refused[i];
        for (int b = 0; b < BUCKETS; b++) {
          merged[b] += histogram[i][b];
        }
      }
    }
    return new Snapshot(w, n, n / (double) w, f, r, percentile(merged, n, 0.50), percentile(merged, n, 0.99));
  }

  private int slot() {
    long now = TimeUnit.NANOSECONDS.toSeconds(clock.getAsLong());
    int s = (int) Math.floorMod(now, (long) SECONDS);
    if (second[s] != now) {
      second[s] = now;
      calls[s] = 0;
      failed[s] = 0;
      refused[s] = 0;
      java.util.Arrays.fill(histogram[s], 0);
    }
    return s;
  }

  static int bucket(long nanos) {
    double ms = nanos / 1e6;
    if (ms <= FIRST_BUCKET_MS) {
      return 0;
    }
    int b = (int) Math.ceil(Math.log(ms / FIRST_BUCKET_MS) / Math.log(GROWTH));
    return Math.min(BUCKETS - 1, b);
  }

  static double upperEdgeMs(int bucket) {
    return FIRST_BUCKET_MS * Math.pow(GROWTH, bucket);
  }

  private static Double percentile(int[] h, long n, double q) {
    if (n == 0) {
      return null;
    }
    long rank = (long) Math.ceil(q * n);
    long seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
      seen += h[b];
      if (seen >= rank) {
        return upperEdgeMs(b);
      }
    }
    return upperEdgeMs(BUCKETS - 1);
  }
}
