package dev.kagami.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {

  static String sha(int i) {
    byte[] b = new byte[32];
    b[0] = (byte) i;
    b[31] = (byte) (i >> 8);
    return HexFormat.of().formatHex(b);
  }

  @Test
  void entries_survive_reopening(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("m/1.bin");
    try (EmbeddingCache c = EmbeddingCache.open(f, 3)) {
      c.put(sha(1), new float[] {1, 2, 3});
      c.put(sha(2), new float[] {4, 5, 6});
      c.put(sha(1), new float[] {9, 9, 9}); // first one wins
    }
    try (EmbeddingCache c = EmbeddingCache.open(f, 3)) {
      assertThat(c.size()).isEqualTo(2);
      assertThat(c.get(sha(1))).containsExactly(1, 2, 3);
      assertThat(c.get(sha(2))).containsExactly(4, 5, 6);
    }
    assertThatThrownBy(() -> EmbeddingCache.open(f, 4)).isInstanceOf(IOException.class).hasMessageContaining("dimension 4");
  }

  @Test
  void a_torn_or_corrupt_tail_is_dropped_at_every_offset(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("c.bin");
    try (EmbeddingCache c = EmbeddingCache.open(f, 2)) {
      for (int i = 0; i < 5; i++) {
        c.put(sha(i), new float[] {i, -i});
      }
    }
    byte[] full = Files.readAllBytes(f);
    int record = 32 + 8 + 4;
    for (int cut = 12; cut <= full.length; cut++) {
      Path g = dir.resolve("cut" + cut + ".bin");
      Files.write(g, Arrays.copyOf(full, cut));
      int complete = (cut - 12) / record;
      try (EmbeddingCache c = EmbeddingCache.open(g, 2)) {
        assertThat(c.size()).as("cut at %d", cut).isEqualTo(complete);
        c.put(sha(100), new float[] {7, 7}); // appends after the repaired tail
      }
      try (EmbeddingCache c = EmbeddingCache.open(g, 2)) {
        assertThat(c.size()).isEqualTo(complete + 1);
        assertThat(c.get(sha(100))).containsExactly(7, 7);
      }
    }
    // a flipped byte inside the last record: that record is dropped, the others kept
    byte[] bad = full.clone();
    bad[bad.length - 10] ^= 0x40;
    Files.write(dir.resolve("bad.bin"), bad);
    try (EmbeddingCache c = EmbeddingCache.open(dir.resolve("bad.bin"), 2)) {
      assertThat(c.size()).isEqualTo(4);
    }
  }
}
