package dev.kagami.bench;

import dev.kagami.index.Filter;
import dev.kagami.index.Hit;
import dev.kagami.index.IndexedItem;
import dev.kagami.index.LuceneSettings;
import dev.kagami.index.LuceneVectorStore;
import dev.kagami.index.VectorStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Vector index bench: ingest rate, recall@10 against exact search, and search latency p50/p99 of the
 * Lucene store versus an exact scan, for N random unit vectors (Gaussian, the hardest case for a graph
 * index: no structure to exploit), float32 and int8.
 *
 * <pre>bin/kagami-bench-index [--vectors 100000] [--dim 512] [--queries 200] [--dir DIR]</pre>
 */
public final class IndexBench {

  /**
   * Vectors, queries, each query's exact top-10 with the time the exact scan took, and warm-up queries
   * (other draws from the same distribution, never measured).
   */
  public record Data(String kind, int n, int dim, float[][] vectors, float[][] queries, List<Set<String>> exact, long[] exactNanos,
      float[][] warmup) {

    public float[] vector(int i) {
      return vectors[i];
    }
  }

  /** Seeded vectors of {@code kind} (random or lowrank), queries from the same distribution, exact answers. */
  public static Data generate(String kind, int n, int dim, int queries, int warmups) {
    float[][] data = new float[n][dim];
    SplittableRandom r = new SplittableRandom(1);
    VectorSource source = switch (kind) {
      case "random" -> (rnd, a, off) -> fill(rnd, a, off, dim);
      case "lowrank" -> lowRank(new SplittableRandom(2), dim, 32, 0.1);
      default -> throw new IllegalArgumentException("--data is random or lowrank, not " + kind);
    };
    for (int i = 0; i < n; i++) {
      source.fill(r, data[i], 0);
    }
    float[][] q = new float[queries][dim];
    for (int i = 0; i < queries; i++) {
      source.fill(r, q[i], 0);
    }
    float[][] w = new float[warmups][dim];
    SplittableRandom wr = new SplittableRandom(3);
    for (float[] v : w) {
      source.fill(wr, v, 0);
    }
    List<Set<String>> exact = new ArrayList<>();
    long[] exactNanos = new long[queries];
    for (int i = 0; i < queries; i++) {
      long t0 = System.nanoTime();
      exact.add(exactTop10(data, q[i]));
      exactNanos[i] = System.nanoTime() - t0;
    }
    System.out.printf(Locale.ROOT, "exact scan (one thread, Lucene's VectorUtil.dotProduct): p50 %.2f ms, p99 %.2f ms%n", pct(exactNanos, 50), pct(exactNanos, 99));
    return new Data(kind, n, dim, data, q, exact, exactNanos, w);
  }

  /** Upserts every vector in batches of 1000; returns the seconds it took. */
  public static double ingest(VectorStore s, String collection, Data d) {
    long t0 = System.nanoTime();
    for (int from = 0; from < d.n(); from += 1000) {
      List<IndexedItem> batch = new ArrayList<>(1000);
      for (int i = from; i < Math.min(d.n(), from + 1000); i++) {
        batch.add(new IndexedItem(Integer.toString(i), d.vector(i), Map.of(), ""));
      }
      s.upsert(collection, batch);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * Prints recall@10 against exact, latency p50/p99, and the speed-up over the exact scan, measured after
   * the warm-up queries (a server that has answered queries for a while: the index in the page cache, the
   * JIT done), which are not the measured ones.
   */
  public static void measure(String label, VectorStore s, String collection, Data d) {
    int queries = d.queries().length;
    for (float[] w : d.warmup()) {
      s.search(collection, w, 10, Filter.NONE);
    }
    long[] nanos = new long[queries];
    double recall = 0;
    for (int i = 0; i < queries; i++) {
      long s0 = System.nanoTime();
      List<Hit> hits = s.search(collection, d.queries()[i], 10, Filter.NONE);
      nanos[i] = System.nanoTime() - s0;
      Set<String> e = d.exact().get(i);
      recall += hits.stream().filter(h -> e.contains(h.id())).count() / 10.0;
    }
    double meanExact = Arrays.stream(d.exactNanos()).average().orElse(0);
    double mean = Arrays.stream(nanos).average().orElse(1);
    System.out.printf(Locale.ROOT, "%s: recall@10 %.3f, p50 %.2f ms, p99 %.2f ms, %.1fx faster than the exact scan (mean)%n",
        label, recall / queries, pct(nanos, 50), pct(nanos, 99), meanExact / mean);
  }

  public static void main(String[] argv) throws Exception {
    int n = 100_000;
    int dim = 512;
    int queries = 200;
    int warmups = 500;
    int m = 16;
    int beam = 100;
    int mergeWorkers = 2;
    int writers = LuceneSettings.defaults().writerThreads();
    double ramMb = 256;
    boolean searchOnly = false;
    List<Integer> efs = List.of(100);
    String kind = "random";
    List<VectorStore.Quantization> quants = List.of(VectorStore.Quantization.values());
    Path dir = Files.createTempDirectory("kagami-index-bench");
    for (int i = 0; i < argv.length; i++) {
      switch (argv[i]) {
        case "--vectors" -> n = Integer.parseInt(argv[++i]);
        case "--dim" -> dim = Integer.parseInt(argv[++i]);
        case "--queries" -> queries = Integer.parseInt(argv[++i]);
        case "--warmup" -> warmups = Integer.parseInt(argv[++i]);
        case "--m" -> m = Integer.parseInt(argv[++i]);
        case "--beam" -> beam = Integer.parseInt(argv[++i]);
        case "--merge-workers" -> mergeWorkers = Integer.parseInt(argv[++i]);
        case "--writers" -> writers = Integer.parseInt(argv[++i]);
        case "--ram-mb" -> ramMb = Double.parseDouble(argv[++i]);
        case "--ef" -> efs = Arrays.stream(argv[++i].split(",")).map(Integer::parseInt).toList();
        case "--quantization" -> quants = Arrays.stream(argv[++i].split(","))
            .map(q -> VectorStore.Quantization.valueOf(q.toUpperCase(Locale.ROOT))).toList();
        case "--dir" -> dir = Path.of(argv[++i]);
        case "--data" -> kind = argv[++i];
        case "--search-only" -> searchOnly = true; // reuse the index an earlier run left in --dir
        default -> throw new IllegalArgumentException("unknown argument " + argv[i]);
      }
    }
    System.out.printf(Locale.ROOT, "Index bench: %d %s unit vectors of %d dimensions, %d queries after %d warm-up queries, top-10, %d cores, Java %s, "
            + "HNSW M=%d beamWidth=%d, %d writer threads, %d merge workers, %.0f MB indexing buffer; bulk load: one commit at the end%n",
        n, kind, dim, queries, warmups, Runtime.getRuntime().availableProcessors(), Runtime.version(), m, beam, writers, mergeWorkers,
        ramMb);
    Data data = generate(kind, n, dim, queries, warmups);
    for (VectorStore.Quantization quant : quants) {
      Path d = dir.resolve(quant.name().toLowerCase(Locale.ROOT));
      // a bulk load: every batch is durable in the write-ahead log, one Lucene commit at the end
      LuceneSettings settings = LuceneSettings.defaults().withGraph(m, beam)
          .withMergeWorkers(mergeWorkers).withWriterThreads(writers).withRamBuffer(ramMb).withCommitInterval(java.time.Duration.ofHours(24))
          .withWalBytesPerCommit(Long.MAX_VALUE);
      if (!searchOnly) {
        try (LuceneVectorStore s = new LuceneVectorStore(d, settings)) {
          s.createCollection("bench", dim, "bench/1", quant);
          double ingestSec = ingest(s, "bench", data);
          long c0 = System.nanoTime();
          s.commitAll();
          double commitSec = (System.nanoTime() - c0) / 1e9;
          long m0 = System.nanoTime();
          s.optimize("bench");
          double mergeSec = (System.nanoTime() - m0) / 1e9;
          System.out.printf(Locale.ROOT, "lucene %-4s: ingest %.0f vectors/s (batches of 1000, each fsynced to the log), "
                  + "final commit %.0f s, merge to one segment %.0f s, size %.1f MB%n",
              quant, n / ingestSec, commitSec, mergeSec, s.collection("bench").sizeOnDiskBytes() / 1e6);
        }
      }
      for (int ef : efs) {
        try (LuceneVectorStore s = new LuceneVectorStore(d, settings.withSearchCandidates(ef))) {
          measure(String.format(Locale.ROOT, "lucene %-4s ef=%-4d", quant, ef), s, "bench", data);
        }
      }
    }
  }

  public interface VectorSource {
    void fill(SplittableRandom r, float[] a, int off);
  }

  /**
   * Vectors with the structure real embeddings have (a low intrinsic dimension): a random linear map of a
   * {@code rank}-dimensional Gaussian, plus isotropic noise of relative size {@code noise}, normalized.
   */
  public static VectorSource lowRank(SplittableRandom seed, int dim, int rank, double noise) {
    float[][] basis = new float[rank][dim];
    for (float[] b : basis) {
      for (int d = 0; d < dim; d++) {
        b[d] = (float) (seed.nextGaussian() / Math.sqrt(dim));
      }
    }
    return (r, a, off) -> {
      for (int d = 0; d < dim; d++) {
        a[off + d] = (float) (r.nextGaussian() * noise * Math.sqrt((double) rank / dim));
      }
      for (float[] b : basis) {
        float z = (float) r.nextGaussian();
        for (int d = 0; d < dim; d++) {
          a[off + d] += z * b[d];
        }
      }
      double norm = 0;
      for (int d = 0; d < dim; d++) {
        norm += a[off + d] * a[off + d];
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int d = 0; d < dim; d++) {
        a[off + d] *= inv;
      }
    };
  }

  public static void fill(SplittableRandom r, float[] a, int off, int dim) {
    double norm = 0;
    for (int d = 0; d < dim; d++) {
      a[off + d] = (float) r.nextGaussian();
      norm += a[off + d] * a[off + d];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < dim; d++) {
      a[off + d] *= inv;
    }
  }

  /** The exact top 10 by a scan with Lucene's dot product (SIMD where the JVM allows it, as Lucene's own exact search). */
  public static Set<String> exactTop10(float[][] data, float[] q) {
    int[] top = new int[10];
    float[] score = new float[10];
    Arrays.fill(score, Float.NEGATIVE_INFINITY);
    for (int i = 0; i < data.length; i++) {
      float s = org.apache.lucene.util.VectorUtil.dotProduct(data[i], q);
      if (s > score[9]) {
        int p = 9;
        while (p > 0 && score[p - 1] < s) {
          score[p] = score[p - 1];
          top[p] = top[p - 1];
          p--;
        }
        score[p] = s;
        top[p] = i;
      }
    }
    Set<String> out = new HashSet<>();
    for (int t : top) {
      out.add(Integer.toString(t));
    }
    return out;
  }

  public static double pct(long[] nanos, int p) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(s.length * p / 100.0) - 1)] / 1e6;
  }
}
