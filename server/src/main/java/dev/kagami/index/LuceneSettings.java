package dev.kagami.index;

import java.time.Duration;

/**
 * How the store builds and searches its graphs and when it commits.
 *
 * @param hnswM max connections per graph node (Lucene's default 16)
 * @param hnswBeamWidth candidates kept while inserting a node (Lucene's default 100)
 * @param searchCandidates candidates explored per search (at least k; more gives higher recall, slower)
 * @param mergeWorkers threads that build a merged segment's graph
 * @param writerThreads threads that apply one upsert batch to Lucene (each builds the graph of a segment of
 *     its own; batches are still applied one after another, so writes of one id keep their order)
 * @param ramBufferMb indexing buffer before a segment is flushed
 * @param commitInterval longest time an acknowledged write waits in the log before a Lucene commit
 * @param walBytesPerCommit log size that triggers a commit sooner
 */
public record LuceneSettings(int hnswM, int hnswBeamWidth, int searchCandidates, int mergeWorkers, int writerThreads,
    double ramBufferMb, Duration commitInterval, long walBytesPerCommit) {

  public LuceneSettings {
    if (hnswM < 2 || hnswM > 512 || hnswBeamWidth < 1 || hnswBeamWidth > 3200 || searchCandidates < 1
        || mergeWorkers < 1 || writerThreads < 1 || writerThreads > 64 || ramBufferMb < 1
        || commitInterval.isNegative() || commitInterval.isZero() || walBytesPerCommit < 1) {
      throw new IllegalArgumentException("invalid index settings " + this);
    }
  }

  /** Lucene's graph defaults, one merge worker, a writer thread per core (at most 4). */
  public static LuceneSettings defaults() {
    int writers = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    return new LuceneSettings(16, 100, 100, 1, writers, 256, Duration.ofSeconds(60), 256L << 20);
  }

  public LuceneSettings withSearchCandidates(int n) {
    return new LuceneSettings(hnswM, hnswBeamWidth, n, mergeWorkers, writerThreads, ramBufferMb, commitInterval,
        walBytesPerCommit);
  }

  public LuceneSettings withGraph(int m, int beamWidth) {
    return new LuceneSettings(m, beamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb, commitInterval,
        walBytesPerCommit);
  }

  public LuceneSettings withCommitInterval(Duration d) {
    return new LuceneSettings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb, d,
        walBytesPerCommit);
  }

  public LuceneSettings withRamBuffer(double mb) {
    return new LuceneSettings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, mb, commitInterval,
        walBytesPerCommit);
  }

  public LuceneSettings withWalBytesPerCommit(long bytes) {
    return new LuceneSettings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, writerThreads, ramBufferMb,
        commitInterval, bytes);
  }

  public LuceneSettings withMergeWorkers(int n) {
    return new LuceneSettings(hnswM, hnswBeamWidth, searchCandidates, n, writerThreads, ramBufferMb, commitInterval,
        walBytesPerCommit);
  }

  public LuceneSettings withWriterThreads(int n) {
    return new LuceneSettings(hnswM, hnswBeamWidth, searchCandidates, mergeWorkers, n, ramBufferMb, commitInterval,
        walBytesPerCommit);
  }
}
