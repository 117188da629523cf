package dev.kagami.index;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.lucene.util.IOUtils;

/**
 * A collection's write-ahead log: every upsert and delete is appended here and fsynced before it is
 * acknowledged, so the Lucene index itself needs a commit (which flushes a segment and fsyncs it) only now
 * and then, not per request. Without a commit per request, bulk ingest builds few large segments instead of
 * thousands of small ones.
 *
 * <h2>Files</h2>
 * {@code wal/<generation>.log}, generation a decimal number, zero-padded to 19 digits. Operations go to the
 * newest generation. A Lucene commit records in its user data the generation that was current when it
 * started ({@code kagami.wal.generation}); every operation of an older generation is in that commit, and the
 * older files are deleted after it. On open, the generations from the recorded one on are replayed in order.
 * Replay may apply an operation the commit already holds; that is harmless, since upserts and deletes by id
 * are idempotent and replay keeps their order.
 *
 * <h2>Record format</h2>
 * Each record: {@code int32 length} (of the payload), {@code int32 crc} (CRC32C of the payload), payload;
 * little-endian. Payload: {@code byte op} (1 upsert, 2 delete), then for an upsert {@code int32 n} and n
 * items, each {@code str id, int32 dim, dim x float32, str imageRef, int32 fields} and per field
 * {@code str name, byte kind (1 string, 2 number), str value | float64 value}; for a delete {@code int32 n}
 * and n {@code str id}. A {@code str} is {@code int32 byte length} + UTF-8 (big-endian, as
 * {@link DataOutputStream} writes it).
 *
 * <h2>Crashes</h2>
 * A crash can leave a torn record at the end of the newest file: replay stops at the first record whose
 * length runs past the end or whose checksum does not match, and truncates the file there (that record was
 * never acknowledged). The same damage in an older file, which was complete when the next one was created,
 * is corruption and fails the open.
 */
final class WriteAheadLog implements AutoCloseable {

  /** One logged operation. */
  sealed interface Op {}

  record Upsert(List<IndexedItem> items) implements Op {}

  record Delete(List<String> ids) implements Op {}

  private static final Pattern FILE = Pattern.compile("(\\d{19})\\.log");
  private static final byte UPSERT = 1;
  private static final byte DELETE = 2;
  private static final int MAX_RECORD = 1 << 30;

  private final Path dir;
  private long generation;
  private FileChannel channel;

  /** Opens the log in {@code dir}, appending to a new generation after the newest existing one. */
  WriteAheadLog(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    List<Long> gens = generations();
    this.generation = gens.isEmpty() ? 1 : gens.get(gens.size() - 1) + 1;
    this.channel = create(generation);
  }

  private FileChannel create(long gen) throws IOException {
    FileChannel ch = FileChannel.open(file(gen), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    IOUtils.fsync(dir, true); // the new file's directory entry is durable too
    return ch;
  }

  private Path file(long gen) {
    return dir.resolve(String.format(java.util.Locale.ROOT, "%019d.log", gen));
  }

  /** Existing generations, oldest first. */
  List<Long> generations() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> FILE.matcher(p.getFileName().toString())).filter(Matcher::matches)
          .map(m -> Long.parseLong(m.group(1))).sorted().toList();
    }
  }

  /** The generation operations are appended to now. */
  synchronized long generation() {
    return generation;
  }

  /** Appends one operation and fsyncs it; on return the operation survives a crash. */
  synchronized void append(Op op) throws IOException {
    byte[] payload = encode(op);
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
    while (b.hasRemaining()) {
      channel.write(b);
    }
    channel.force(false);
  }

  /** Bytes in the current generation. */
  synchronized long currentBytes() throws IOException {
    return channel.size();
  }

  /** Starts a new generation; returns its number. Later appends go there. */
  synchronized long roll() throws IOException {
    FileChannel next = create(generation + 1);
    channel.close();
    channel = next;
    return ++generation;
  }

  /** Deletes the files of generations before {@code gen} (their operations are committed). */
  void deleteBefore(long gen) throws IOException {
    for (long g : generations()) {
      if (g < gen) {
        Files.deleteIfExists(file(g));
      }
    }
  }

  /**
   * Reads the operations of generations {@code >= from}, oldest first, not counting the one this log
   * appends to (it is new at open). A torn tail of the newest earlier file is cut off.
   */
  List<Op> replay(long from) throws IOException {
    List<Long> gens = new ArrayList<>(generations());
    gens.remove(Long.valueOf(generation()));
    List<Op> ops = new ArrayList<>();
    for (int i = 0; i < gens.size(); i++) {
      long g = gens.get(i);
      if (g < from) {
        continue;
      }
      boolean newest = i == gens.size() - 1;
      Path f = file(g);
      byte[] bytes = Files.readAllBytes(f);
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      while (b.remaining() > 0) {
        int start = b.position();
        String damage = null;
        if (b.remaining() < 8) {
          damage = "a record header is cut off";
        } else {
          int len = b.getInt();
          int crc = b.getInt();
          if (len < 0 || len > MAX_RECORD || len > b.remaining()) {
            damage = "a record is cut off";
          } else {
            CRC32C c = new CRC32C();
            c.update(bytes, b.position(), len);
            if ((int) c.getValue() != crc) {
              damage = "a record's checksum does not match";
            } else {
              ops.add(decode(bytes, b.position(), len));
              b.position(b.position() + len);
            }
          }
        }
        if (damage != null) {
          if (!newest) {
            throw new IOException("write-ahead log " + f + " is corrupt at byte " + start + ": " + damage);
          }
          try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(start);
            ch.force(true);
          }
          break;
        }
      }
    }
    return ops;
  }

  static byte[] encode(Op op) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      if (op instanceof Upsert u) {
        out.writeByte(UPSERT);
        out.writeInt(u.items().size());
        for (IndexedItem it : u.items()) {
          str(out, it.id());
          out.writeInt(it.vector().length);
          for (float f : it.vector()) {
            out.writeFloat(f);
          }
          str(out, it.imageRef());
          out.writeInt(it.metadata().size());
          for (Map.Entry<String, FieldValue> e : it.metadata().entrySet()) {
            str(out, e.getKey());
            if (e.getValue() instanceof FieldValue.Str s) {
              out.writeByte(1);
              str(out, s.value());
            } else if (e.getValue() instanceof FieldValue.Num n) {
              out.writeByte(2);
              out.writeDouble(n.value());
            }
          }
        }
      } else if (op instanceof Delete d) {
        out.writeByte(DELETE);
        out.writeInt(d.ids().size());
        for (String id : d.ids()) {
          str(out, id);
        }
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
  }

  static Op decode(byte[] bytes, int off, int len) throws IOException {
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes, off, len));
    try {
      byte type = in.readByte();
      int n = in.readInt();
      if (type == UPSERT) {
        List<IndexedItem> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          String id = str(in);
          float[] v = new float[in.readInt()];
          for (int d = 0; d < v.length; d++) {
            v[d] = in.readFloat();
          }
          String imageRef = str(in);
          int fields = in.readInt();
          Map<String, FieldValue> meta = new HashMap<>();
          for (int f = 0; f < fields; f++) {
            String name = str(in);
            byte kind = in.readByte();
            meta.put(name, kind == 1 ? FieldValue.of(str(in)) : FieldValue.of(in.readDouble()));
          }
          items.add(new IndexedItem(id, v, meta, imageRef));
        }
        return new Upsert(items);
      } else if (type == DELETE) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          ids.add(str(in));
        }
        return new Delete(ids);
      }
      throw new IOException("unknown write-ahead log operation " + type);
    } catch (EOFException e) {
      throw new IOException("write-ahead log record ends early", e);
    }
  }

  private static void str(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String str(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("write-ahead log string length " + n + " is out of range");
    }
    return new String(in.readNBytes(n), StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}
