package dev.kagami.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteAheadLogTest {

  static final List<WriteAheadLog.Op> OPS = List.of(
      new WriteAheadLog.Upsert(List.of(
          new IndexedItem("a", new float[] {0.6f, 0.8f}, Map.of("color", FieldValue.of("pïnk"), "price", FieldValue.of(9.5)),
              "sha256/ab"),
          new IndexedItem("b", new float[] {1f, 0f}, Map.of(), ""))),
      new WriteAheadLog.Delete(List.of("a", "zzz")),
      new WriteAheadLog.Upsert(List.of(new IndexedItem("c", new float[] {0f, -1f}, Map.of("n", FieldValue.of(-1)), "/x.png"))));

  @Test
  void operations_come_back_in_order_from_the_generations_asked_for(@TempDir Path dir) throws IOException {
    try (WriteAheadLog wal = new WriteAheadLog(dir)) {
      wal.append(OPS.get(0));
      wal.roll();
      wal.append(OPS.get(1));
      wal.append(OPS.get(2));
    }
    try (WriteAheadLog wal = new WriteAheadLog(dir)) {
      assertThat(wal.generation()).isEqualTo(3);
      assertThat(wal.replay(0)).isEqualTo(OPS);
      assertThat(wal.replay(2)).isEqualTo(OPS.subList(1, 3));
      wal.deleteBefore(2);
      assertThat(wal.generations()).containsExactly(2L, 3L);
    }
  }

  @Test
  void a_torn_tail_at_any_byte_loses_only_the_torn_record(@TempDir Path dir) throws IOException {
    Path full = dir.resolve("full");
    try (WriteAheadLog wal = new WriteAheadLog(full)) {
      OPS.forEach(op -> append(wal, op));
    }
    byte[] bytes = Files.readAllBytes(full.resolve("0000000000000000001.log"));
    int[] ends = new int[OPS.size()];
    int pos = 0;
    for (int i = 0; i < OPS.size(); i++) {
      pos += 8 + WriteAheadLog.encode(OPS.get(i)).length;
      ends[i] = pos;
    }
    assertThat(pos).isEqualTo(bytes.length);
    for (int cut = 0; cut <= bytes.length; cut++) {
      Path d = dir.resolve("cut" + cut);
      Files.createDirectories(d);
      Files.write(d.resolve("0000000000000000001.log"), Arrays.copyOf(bytes, cut));
      int complete = 0;
      while (complete < ends.length && ends[complete] <= cut) {
        complete++;
      }
      try (WriteAheadLog wal = new WriteAheadLog(d)) {
        assertThat(wal.replay(0)).as("cut at %d", cut).isEqualTo(OPS.subList(0, complete));
        // the torn part is cut off, so later appends do not sit behind it
        assertThat(Files.size(d.resolve("0000000000000000001.log"))).isEqualTo(complete == 0 ? 0 : ends[complete - 1]);
      }
    }
  }

  @Test
  void a_flipped_bit_in_an_older_generation_fails_the_replay(@TempDir Path dir) throws IOException {
    try (WriteAheadLog wal = new WriteAheadLog(dir)) {
      wal.append(OPS.get(0));
      wal.roll();
      wal.append(OPS.get(1));
    }
    Path first = dir.resolve("0000000000000000001.log");
    byte[] b = Files.readAllBytes(first);
    b[12] ^= 0x10;
    Files.write(first, b);
    try (WriteAheadLog wal = new WriteAheadLog(dir)) {
      assertThatThrownBy(() -> wal.replay(0)).isInstanceOf(IOException.class).hasMessageContaining("corrupt at byte 0")
          .hasMessageContaining("checksum");
    }
  }

  private static void append(WriteAheadLog wal, WriteAheadLog.Op op) {
    try {
      wal.append(op);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
