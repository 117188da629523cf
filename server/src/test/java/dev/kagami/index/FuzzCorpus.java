package dev.kagami.index;

import dev.kagami.api.v1.Embedding;
import dev.kagami.api.v1.MetadataValue;
import dev.kagami.api.v1.UpsertItem;
import dev.kagami.api.v1.UpsertRequest;
import dev.kagami.testing.Fixtures;
import dev.kagami.testing.Fuzzer;
import dev.kagami.testing.Images;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the fuzz corpus ({@code fixtures/fuzz/}): small valid inputs of each target, from which the
 * fuzzer mutates. Deterministic; run from {@code server/}:
 * {@code ../mvnw -q -pl server exec:java -Dexec.classpathScope=test -Dexec.mainClass=dev.kagami.index.FuzzCorpus}
 * (or from an IDE). The committed files are its output.
 */
public final class FuzzCorpus {

  public static void main(String[] args) throws IOException {
    Path root = Fuzzer.CORPUS;
    write(root.resolve("image/red-16x12.png"), Images.png(16, 12, Color.RED));
    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        img.setRGB(x, y, (x * 16) << 16 | (y * 16) << 8 | 0x40);
      }
    }
    write(root.resolve("image/gradient-16x16.jpg"), Images.encode(img, "jpg"));
    write(root.resolve("image/gradient-16x16.gif"), Images.encode(img, "gif"));
    write(root.resolve("image/gradient-16x16.bmp"), Images.encode(img, "bmp"));
    write(root.resolve("image/small-100x60.webp"), Fixtures.read(Fixtures.GOLDEN.resolve("images/small_100x60.webp")));

    List<String> texts = List.of("a red running shoe", "Ünïcödé façade, 東京の靴 🚀👟", "", "   ",
        "<|startoftext|>a photo of a <|endoftext|> bag", "x".repeat(300));
    for (int i = 0; i < texts.size(); i++) {
      write(root.resolve("text/" + i + ".txt"), texts.get(i).getBytes(StandardCharsets.UTF_8));
    }

    ByteArrayOutputStream log = new ByteArrayOutputStream();
    for (WriteAheadLog.Op op : WriteAheadLogTest.OPS) {
      log.write(WriteAheadLog.frame(WriteAheadLog.encode(op)).array());
    }
    write(root.resolve("wal/three-ops.log"), log.toByteArray());
    write(root.resolve("wal/one-op.log"), WriteAheadLog.frame(WriteAheadLog.encode(WriteAheadLogTest.OPS.get(1))).array());

    Embedding v = Embedding.newBuilder().addValues(0.6f).addValues(0.8f).addValues(0).addValues(0).build();
    write(root.resolve("upsert/one-item.bin"), UpsertRequest.newBuilder().setCollection("c").addItems(UpsertItem.newBuilder()
        .setId("shoe-1").setVector(v).putMetadata("color", MetadataValue.newBuilder().setText("red").build())
        .putMetadata("price", MetadataValue.newBuilder().setNumber(59.9).build())).build().toByteArray());
    write(root.resolve("upsert/two-items.bin"), UpsertRequest.newBuilder().setCollection("c")
        .addItems(UpsertItem.newBuilder().setId("a").setVector(v))
        .addItems(UpsertItem.newBuilder().setId("b").setVector(v).putMetadata("t", MetadataValue.newBuilder()
            .setText("ünï").build())).build().toByteArray());
    // a text value a few bytes under Lucene's 32,766-byte term limit: refused by Kagami's 8 KiB limit; a
    // mutation that adds bytes makes it one the index cannot store, should the limit ever be lifted
    write(root.resolve("upsert/near-term-limit.bin"), UpsertRequest.newBuilder().setCollection("c")
        .addItems(UpsertItem.newBuilder().setId("long").setVector(v).putMetadata("desc", MetadataValue.newBuilder()
            .setText("x".repeat(32_760)).build())).build().toByteArray());
  }

  static void write(Path p, byte[] b) throws IOException {
    Files.createDirectories(p.getParent());
    Files.write(p, b);
  }
}
