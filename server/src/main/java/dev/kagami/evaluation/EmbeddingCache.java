package dev.kagami.evaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;

/**
 * Image embeddings of one model version, keyed by the SHA-256 of the image bytes, so evaluating the same
 * model again does not embed the same image again.
 *
 * <p>On disk: one append-only file per model version and image-tower weights ({@link #fileFor}). Layout (little-endian): the 8-byte magic
 * {@code KGEMBC01}, the dimension (int32); then records of 32 bytes of SHA-256, {@code dim} float32, and
 * the CRC32 of those bytes (int32). Opening reads records until the first incomplete or corrupt one and
 * truncates the file there, so a crash while appending loses at most the records being written.
 */
public final class EmbeddingCache implements AutoCloseable {

  private static final byte[] MAGIC = {'K', 'G', 'E', 'M', 'B', 'C', '0', '1'};

  private final Path file;
  private final int dim;
  private final FileChannel channel;
  private final Map<String, float[]> entries = new ConcurrentHashMap<>();

  private EmbeddingCache(Path file, int dim, FileChannel channel) {
    this.file = file;
    this.dim = dim;
    this.channel = channel;
  }

  /** The cache file of a model's image tower under {@code dir}: {@code <name>/<version>-<imageTowerId>.bin}. */
  public static Path fileFor(Path dir, dev.kagami.embedding.ModelRuntime model) {
    return dir.resolve(model.name()).resolve(model.version() + "-" + model.imageTowerId() + ".bin");
  }

  /** An in-memory cache (nothing on disk). */
  public static EmbeddingCache inMemory(int dim) {
    return new EmbeddingCache(null, dim, null);
  }

  public static EmbeddingCache open(Path file, int dim) throws IOException {
    Files.createDirectories(file.getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    EmbeddingCache cache = new EmbeddingCache(file, dim, ch);
    try {
      cache.load();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return cache;
  }

  private int recordSize() {
    return 32 + 4 * dim + 4;
  }

  private void load() throws IOException {
    long size = channel.size();
    if (size < 12) {
      ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC).putInt(dim).flip();
      channel.truncate(0);
      channel.write(h, 0);
      channel.force(true);
      return;
    }
    ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    channel.read(h, 0);
    h.flip();
    byte[] magic = new byte[8];
    h.get(magic);
    int fileDim = h.getInt();
    if (!java.util.Arrays.equals(magic, MAGIC) || fileDim != dim) {
      throw new IOException(file + " is not an embedding cache of dimension " + dim);
    }
    int rs = recordSize();
    ByteBuffer rec = ByteBuffer.allocate(rs).order(ByteOrder.LITTLE_ENDIAN);
    long pos = 12;
    while (pos + rs <= size) {
      rec.clear();
      channel.read(rec, pos);
      rec.flip();
      CRC32 crc = new CRC32();
      crc.update(rec.array(), 0, rs - 4);
      if ((int) crc.getValue() != rec.getInt(rs - 4)) {
        break;
      }
      byte[] sha = new byte[32];
      rec.get(sha);
      float[] v = new float[dim];
      rec.asFloatBuffer().get(v);
      entries.put(HexFormat.of().formatHex(sha), v);
      pos += rs;
    }
    if (pos != size) {
      channel.truncate(pos); // a torn or corrupt tail from a crash
    }
  }

  public int dimension() {
    return dim;
  }

  public int size() {
    return entries.size();
  }

  public float[] get(String sha256) {
    return entries.get(sha256);
  }

  /** Adds an entry and appends it to the file (call {@link #flush()} to make appended entries durable). */
  public synchronized void put(String sha256, float[] v) {
    if (v.length != dim) {
      throw new IllegalArgumentException("vector of " + v.length + " for a cache of dimension " + dim);
    }
    if (entries.putIfAbsent(sha256, v) != null || channel == null) {
      return;
    }
    int rs = recordSize();
    ByteBuffer rec = ByteBuffer.allocate(rs).order(ByteOrder.LITTLE_ENDIAN);
    rec.put(HexFormat.of().parseHex(sha256));
    for (float f : v) {
      rec.putFloat(f);
    }
    CRC32 crc = new CRC32();
    crc.update(rec.array(), 0, rs - 4);
    rec.putInt((int) crc.getValue());
    rec.flip();
    try {
      long pos = channel.size();
      while (rec.hasRemaining()) {
        pos += channel.write(rec, pos);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + file + ": " + e.getMessage(), e);
    }
  }

  public synchronized void flush() {
    if (channel != null) {
      try {
        channel.force(false);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public synchronized void close() {
    if (channel != null) {
      try {
        channel.force(false);
        channel.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
