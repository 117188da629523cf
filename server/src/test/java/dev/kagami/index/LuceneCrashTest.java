package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 during ingest, many times: a child JVM upserts into the store and reports each acknowledged
 * batch; the test kills it at a random moment (SIGKILL, no shutdown hooks), reopens the store and checks
 * that every acknowledged id is there exactly once with its exact vector. The next child continues in the
 * same folder. The child also sends writes the index cannot take; they are refused and never poison the
 * log, so every reopen serves.
 */
class LuceneCrashTest {

  @Test
  void acknowledged_upserts_survive_kill_minus_9(@TempDir Path dir) throws Exception {
    long seed = Long.getLong("kagami.test.seed", 77L);
    SplittableRandom rnd = new SplittableRandom(seed);
    int cycles = Integer.getInteger("kagami.crash.cycles", 8);
    int next = 0;
    List<int[]> allAcked = new ArrayList<>();
    java.util.Map<String, Integer> poison = new java.util.HashMap<>();
    for (int cycle = 0; cycle < cycles; cycle++) {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "-Xmx256m", IngestChild.class.getName(), dir.toString(),
          Integer.toString(next)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      List<int[]> acks = new ArrayList<>();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String ready = in.readLine();
        assertThat(ready).as("child started").isEqualTo("READY");
        long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100 + rnd.nextInt(900));
        Thread reader = new Thread(() -> {
          try {
            for (String line; (line = in.readLine()) != null; ) {
              if (line.equals("REFUSED") || line.equals("ACCEPTED-POISON")) {
                synchronized (acks) {
                  poison.merge(line, 1, Integer::sum);
                }
              }
              String[] f = line.split(" ");
              if (f.length == 3 && f[0].equals("ACK")) {
                synchronized (acks) {
                  acks.add(new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2])});
                }
              }
            }
          } catch (java.io.IOException e) {
            // the pipe closes when the child dies
          }
        });
        reader.start();
        Thread.sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(killAt - System.nanoTime())));
        // SIGKILL through the process handle: Process.destroyForcibly() also closes our end of the child's
        // stdout, so ACK lines still in the pipe were lost and written batches looked unacknowledged
        p.toHandle().destroyForcibly();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(10_000);
      }
      int lastAcked = next - 1;
      synchronized (acks) {
        for (int[] a : acks) {
          lastAcked = Math.max(lastAcked, a[1]);
          allAcked.add(a);
        }
      }
      int acknowledged = allAcked.stream().mapToInt(a -> a[1] - a[0] + 1).sum();
      try (LuceneVectorStore s = new LuceneVectorStore(dir)) {
        assertThat(s.unavailableCollections()).as("cycle %d", cycle).isEmpty();
        assertThat(s.collection("crash").quarantinedRecords()).as("a refused write never reaches the log").isZero();
        for (int[] a : allAcked) {
          for (int id = a[0]; id <= a[1]; id++) {
            IndexedItem expected = IngestChild.item(id);
            assertThat(s.get("crash", expected.id())).as("cycle %d, id %d (seed %d)", cycle, id, seed).contains(expected);
          }
        }
        // ids are unique (upsert replaces by id); besides the acknowledged ones, at most the one batch per cycle
        // that was written but not acknowledged before the kill
        java.util.Set<Integer> ackedIds = new java.util.HashSet<>();
        for (int[] a : allAcked) {
          for (int id = a[0]; id <= a[1]; id++) {
            ackedIds.add(id);
          }
        }
        List<String> seen = new ArrayList<>();
        s.forEach("crash", 500, part -> part.forEach(it -> seen.add(it.id())));
        java.util.Set<String> distinct = new java.util.TreeSet<>(seen);
        List<String> extra = distinct.stream().filter(id -> !ackedIds.contains(Integer.parseInt(id.substring(3)))).toList();
        String diagnosis = "acks " + acks.stream().map(a -> a[0] + "-" + a[1]).toList() + "; " + seen.size() + " docs, "
            + distinct.size() + " distinct ids; not acknowledged: " + extra;
        assertThat(seen).as("no id twice (%s)", diagnosis).hasSameSizeAs(distinct);
        assertThat(s.collection("crash").count()).as("cycle %d: %s", cycle, diagnosis)
            .isBetween((long) acknowledged, (long) acknowledged + 20L * (cycle + 1));
      }
      next = lastAcked + 1 + 20; // ids of a batch that may have been written but not acknowledged are not reused
    }
    int acknowledged = allAcked.stream().mapToInt(a -> a[1] - a[0] + 1).sum();
    System.out.printf("kill -9 during ingest: %d cycles, %d acknowledged ids, 0 lost, 0 duplicated, 0 corrupt, "
        + "%d poisoned writes refused (seed %d)%n", cycles, acknowledged, poison.getOrDefault("REFUSED", 0), seed);
    assertThat(acknowledged).isPositive();
    assertThat(poison).doesNotContainKey("ACCEPTED-POISON");
    assertThat(poison.getOrDefault("REFUSED", 0)).isPositive();
  }
}
