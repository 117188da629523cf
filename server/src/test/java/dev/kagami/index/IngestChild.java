package dev.kagami.index;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A process that ingests into a Lucene store until it is killed: batches of items with ids
 * {@code from, from+1, ...}, printing {@code ACK <first> <last>} after each upsert returns; now and then it
 * first tries a batch with a poisoned item (a value the index cannot store) and prints {@code REFUSED} when it
 * is refused. Run by
 * {@link LuceneCrashTest}, which kills it with SIGKILL.
 */
public final class IngestChild {

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int from = Integer.parseInt(args[1]);
    PrintStream out = System.out;
    // commits every 20 ms, so kills land before, during and after commits and log rolls
    LuceneSettings settings = LuceneSettings.defaults().withCommitInterval(Duration.ofMillis(20));
    try (LuceneVectorStore s = new LuceneVectorStore(dir, settings)) {
      s.createCollection("crash", 16, "m/1");
      out.println("READY");
      out.flush();
      SplittableRandom r = new SplittableRandom(from);
      for (int next = from; ; ) {
        int n = 1 + r.nextInt(20);
        List<IndexedItem> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          batch.add(item(next + i));
        }
        if (r.nextInt(4) == 0) {
          // a write the index cannot take (a value over Lucene's term limit) among good ones: refused whole
          List<IndexedItem> poisoned = new ArrayList<>(batch);
          poisoned.add(new IndexedItem("poison-" + next, batch.get(0).vector(),
              Map.of("desc", FieldValue.of("x".repeat(40_000))), ""));
          try {
            s.upsert("crash", poisoned);
            out.println("ACCEPTED-POISON");
          } catch (dev.kagami.error.KagamiException.InvalidInput e) {
            out.println("REFUSED");
          }
          out.flush();
        }
        s.upsert("crash", batch);
        out.println("ACK " + next + " " + (next + n - 1));
        out.flush();
        next += n;
      }
    }
  }

  /** The item for an id: its vector is derived from the id, so a reader can check it is not corrupt. */
  static IndexedItem item(int id) {
    SplittableRandom r = new SplittableRandom(id * 7919L);
    float[] v = new float[16];
    double n = 0;
    for (int i = 0; i < 16; i++) {
      v[i] = (float) r.nextGaussian();
      n += v[i] * v[i];
    }
    for (int i = 0; i < 16; i++) {
      v[i] /= (float) Math.sqrt(n);
    }
    return new IndexedItem("id-" + id, v, Map.of("n", FieldValue.of(id)), "");
  }
}
