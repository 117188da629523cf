package dev.kagami.index;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * When the embedded store's collections commit: in the background every commit interval, sooner when a
 * collection's log grows past its limit ({@link #soon}), and once more at close. A commit makes every
 * acknowledged write part of a Lucene commit and then drops the write-ahead log before it; a failed commit
 * leaves the log in place, so the next one retries and a crash loses nothing that was acknowledged.
 */
final class LuceneCommits {

  private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(LuceneVectorStore.class);

  private final ScheduledExecutorService committer;
  private final Supplier<Collection<LuceneCollection>> collections;

  LuceneCommits(ScheduledExecutorService committer, Supplier<Collection<LuceneCollection>> collections, Duration every) {
    this.committer = committer;
    this.collections = collections;
    long ms = every.toMillis();
    committer.scheduleWithFixedDelay(this::commitAllQuietly, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Makes every acknowledged write of {@code c} part of a Lucene commit, and drops the log before it. */
  static void commit(LuceneCollection c) throws IOException {
    synchronized (c.commitLock) {
      long gen;
      synchronized (c) {
        if (!c.uncommitted) {
          return;
        }
        // every operation logged before the roll is already applied to the writer, so the commit below holds it
        gen = c.wal.roll();
        c.uncommitted = false;
        c.writer.setLiveCommitData(c.commitData(gen).entrySet());
      }
      try {
        c.writer.commit();
      } catch (IOException | RuntimeException e) {
        synchronized (c) {
          c.uncommitted = true;
        }
        throw e;
      }
      c.wal.deleteBefore(gen);
    }
  }

  /** Commits {@code c} on the commit thread, soon (its log has grown large). */
  void soon(LuceneCollection c) {
    committer.execute(() -> commitQuietly(c));
  }

  /** Commits every collection now, on the caller's thread. */
  void commitAll() {
    for (LuceneCollection c : collections.get()) {
      try {
        commit(c);
      } catch (IOException e) {
        throw new dev.kagami.error.KagamiException.BackendUnavailable("commit of " + c.name + " failed: " + e.getMessage(), e);
      }
    }
  }

  /** Stops the background commits, then commits every collection; the last failure, or null. */
  IOException stopAndCommitAll() {
    committer.shutdown();
    try {
      committer.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IOException failure = null;
    for (LuceneCollection c : collections.get()) {
      try {
        commit(c);
      } catch (IOException e) {
        failure = e; // the log keeps the writes for the next open
      }
    }
    return failure;
  }

  /** Stops the background commits at once (a simulated crash). */
  void stopNow() {
    committer.shutdownNow();
  }

  private void commitQuietly(LuceneCollection c) {
    try {
      commit(c);
    } catch (IOException | RuntimeException e) {
      // the log still holds the writes; the next commit retries
      LOG.warnf("commit of collection %s failed: %s", c.name, e.getMessage());
    }
  }

  private void commitAllQuietly() {
    collections.get().forEach(this::commitQuietly);
  }
}
