package dev.kagami.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A small mutational fuzzer, reproducible from its seed: starts from a committed corpus (one folder of
 * files per target, {@code fixtures/fuzz/<target>/}), runs every corpus input, then mutates them (bit
 * flips, random bytes, interesting integers, cuts, inserted and repeated runs, splices of two inputs) for
 * a bounded time ({@code -Dkagami.fuzz.seconds}, default 4 per target). A target returns an outcome name
 * for each input it handles (an accepted input, or an expected refusal such as {@code InvalidInput});
 * anything it throws is a crash. It is no coverage-guided fuzzer like Jazzer (which needs its agent),
 * but it runs anywhere the tests run, from the same corpus every time.
 */
public final class Fuzzer {

  /** What the code under test does with one input: the name of an allowed outcome, or it throws. */
  @FunctionalInterface
  public interface Target {
    String run(byte[] input) throws Exception;
  }

  /** The figures of one run. */
  public record Result(String target, int corpus, long executions, long millis, List<String> crashes,
      Map<String, Long> outcomes) {
    public String line() {
      return String.format(java.util.Locale.ROOT, "fuzz %s: %d corpus inputs, %d executions in %.1f s, %d crashes, outcomes %s",
          target, corpus, executions, millis / 1000.0, crashes.size(), outcomes);
    }
  }

  public static final Path CORPUS = Fixtures.ROOT.resolve("fuzz");

  private Fuzzer() {}

  public static List<byte[]> corpus(String target) {
    try (Stream<Path> files = Files.list(CORPUS.resolve(target))) {
      List<byte[]> out = new ArrayList<>();
      for (Path f : files.filter(p -> !p.getFileName().toString().endsWith(".md")).sorted().toList()) {
        out.add(Files.readAllBytes(f));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Result run(String target, Target t) {
    long seconds = Long.getLong("kagami.fuzz.seconds", 4);
    long seed = Long.getLong("kagami.test.seed", 20261202L);
    return run(target, corpus(target), t, TimeUnit.SECONDS.toNanos(seconds), seed);
  }

  public static Result run(String target, List<byte[]> corpus, Target t, long nanos, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Long> outcomes = new TreeMap<>();
    List<String> crashes = new ArrayList<>();
    long start = System.nanoTime();
    long execs = 0;
    for (byte[] in : corpus) {
      execs++;
      one(t, in, outcomes, crashes);
    }
    while (System.nanoTime() - start < nanos && crashes.size() < 10) {
      byte[] in = mutate(corpus.get(r.nextInt(corpus.size())), corpus, r);
      execs++;
      one(t, in, outcomes, crashes);
    }
    return new Result(target, corpus.size(), execs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
        crashes, outcomes);
  }

  private static void one(Target t, byte[] in, Map<String, Long> outcomes, List<String> crashes) {
    try {
      outcomes.merge(t.run(in), 1L, Long::sum);
    } catch (Throwable e) {
      crashes.add(e + " on " + in.length + " bytes: " + hex(in, 64));
    }
  }

  static byte[] mutate(byte[] base, List<byte[]> corpus, SplittableRandom r) {
    byte[] b = base.clone();
    int rounds = 1 + r.nextInt(4);
    for (int k = 0; k < rounds; k++) {
      switch (r.nextInt(7)) {
        case 0 -> { // flip a bit
          if (b.length > 0) {
            int i = r.nextInt(b.length);
            b[i] ^= (byte) (1 << r.nextInt(8));
          }
        }
        case 1 -> { // random bytes
          for (int n = 1 + r.nextInt(8); n > 0 && b.length > 0; n--) {
            b[r.nextInt(b.length)] = (byte) r.nextInt(256);
          }
        }
        case 2 -> { // an interesting 32-bit integer, either byte order
          if (b.length >= 4) {
            int[] vals = {0, -1, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7FFF, 0xFFFF, 1 << 24, 255, 65536};
            int v = vals[r.nextInt(vals.length)];
            int i = r.nextInt(b.length - 3);
            boolean big = r.nextBoolean();
            for (int j = 0; j < 4; j++) {
              b[i + j] = (byte) (big ? v >>> (24 - 8 * j) : v >>> (8 * j));
            }
          }
        }
        case 3 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : r.nextInt(b.length)); // cut
        case 4 -> { // insert random bytes
          int at = b.length == 0 ? 0 : r.nextInt(b.length);
          byte[] ins = new byte[1 + r.nextInt(16)];
          r.nextBytes(ins);
          b = splice(b, at, ins);
        }
        case 5 -> { // repeat a run
          if (b.length > 1) {
            int from = r.nextInt(b.length - 1);
            int len = 1 + r.nextInt(Math.min(64, b.length - from));
            b = splice(b, r.nextInt(b.length), java.util.Arrays.copyOfRange(b, from, from + len));
          }
        }
        default -> { // splice with another corpus input
          byte[] o = corpus.get(r.nextInt(corpus.size()));
          int cut = b.length == 0 ? 0 : r.nextInt(b.length);
          int from = o.length == 0 ? 0 : r.nextInt(o.length);
          byte[] out = java.util.Arrays.copyOf(b, cut + (o.length - from));
          System.arraycopy(o, from, out, cut, o.length - from);
          b = out;
        }
      }
    }
    return b;
  }

  private static byte[] splice(byte[] b, int at, byte[] ins) {
    byte[] out = new byte[b.length + ins.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(ins, 0, out, at, ins.length);
    System.arraycopy(b, at, out, at + ins.length, b.length - at);
    return out;
  }

  static String hex(byte[] b, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(max, b.length); i++) {
      s.append(String.format("%02x", b[i]));
    }
    return s + (b.length > max ? "..." : "");
  }
}
