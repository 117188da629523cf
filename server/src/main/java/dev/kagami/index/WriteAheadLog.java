package dev.kagami.index;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

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

  /** A record read back at replay: where it was and its payload, decoded by {@link #decode(byte[])}. */
  record Replayed(long generation, long offset, byte[] payload) {}

  private static final Pattern FILE = Pattern.compile("(\\d{19})\\.log");
  private static final byte UPSERT = 1;
  private static final byte DELETE = 2;
  static final int MAX_RECORD = 1 << 30;

  private final WalFiles files;
  private long generation;
  private WalFiles.Appender current;

  /** Opens the log in {@code dir} on the real disk. */
  WriteAheadLog(Path dir) throws IOException {
    this(WalFiles.DISK.open(dir));
  }

  /** Opens the log in {@code files}, appending to a new generation after the newest existing one. */
  WriteAheadLog(WalFiles files) throws IOException {
    this.files = files;
    List<Long> gens = generations();
    this.generation = gens.isEmpty() ? 1 : gens.get(gens.size() - 1) + 1;
    this.current = files.create(name(generation));
  }

  static String name(long gen) {
    return String.format(java.util.Locale.ROOT, "%019d.log", gen);
  }

  /** Existing generations, oldest first. */
  List<Long> generations() throws IOException {
    return files.list().stream().map(FILE::matcher).filter(Matcher::matches).map(m -> Long.parseLong(m.group(1)))
        .sorted().toList();
  }

  /** The generation operations are appended to now. */
  synchronized long generation() {
    return generation;
  }

  /** Appends one operation and syncs it; on return the operation survives a crash. */
  synchronized void append(Op op) throws IOException {
    current.append(frame(encode(op)));
    current.sync();
  }

  /** A record as it is on disk: length, CRC32C, payload. */
  static ByteBuffer frame(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    ByteBuffer b = ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
    return b;
  }

  /** Bytes in the current generation. */
  synchronized long currentBytes() throws IOException {
    return current.size();
  }

  /** Starts a new generation; returns its number. Later appends go there. */
  synchronized long roll() throws IOException {
    WalFiles.Appender next = files.create(name(generation + 1));
    current.close();
    current = next;
    return ++generation;
  }

  /** Deletes the files of generations before {@code gen} (their operations are committed). */
  void deleteBefore(long gen) throws IOException {
    for (long g : generations()) {
      if (g < gen) {
        files.delete(name(g));
      }
    }
  }

  /** Reads the operations of generations {@code >= from}, decoded; see {@link #replayRecords}. */
  List<Op> replay(long from) throws IOException {
    List<Op> ops = new ArrayList<>();
    for (Replayed r : replayRecords(from)) {
      ops.add(decode(r.payload()));
    }
    return ops;
  }

  /**
   * Reads the records of generations {@code >= from}, oldest first, not counting the one this log appends
   * to (it is new at open). A torn tail of the newest earlier file is cut off.
   */
  List<Replayed> replayRecords(long from) throws IOException {
    List<Long> gens = new ArrayList<>(generations());
    gens.remove(Long.valueOf(generation()));
    List<Replayed> out = new ArrayList<>();
    for (int i = 0; i < gens.size(); i++) {
      long g = gens.get(i);
      if (g < from) {
        continue;
      }
      boolean newest = i == gens.size() - 1;
      String f = name(g);
      byte[] bytes = files.read(f);
      Framing.Damage damage = Framing.read(bytes, (offset, payload) -> out.add(new Replayed(g, offset, payload)));
      if (damage != null) {
        if (!newest) {
          throw new IOException("write-ahead log generation " + g + " is corrupt at byte " + damage.offset() + ": "
              + damage.what());
        }
        files.truncate(f, damage.offset());
      }
    }
    return out;
  }

  /** Reading framed records (length, CRC32C, payload) from a byte array. */
  static final class Framing {
    private Framing() {}

    /** Where and why reading stopped early. */
    record Damage(int offset, String what) {}

    interface Sink {
      void accept(long offset, byte[] payload);
    }

    /** Hands every intact record to {@code sink}; returns the first damage, or null if the bytes end cleanly. */
    static Damage read(byte[] bytes, Sink sink) {
      ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      while (b.remaining() > 0) {
        int start = b.position();
        if (b.remaining() < 8) {
          return new Damage(start, "a record header is cut off");
        }
        int len = b.getInt();
        int crc = b.getInt();
        if (len < 0 || len > MAX_RECORD || len > b.remaining()) {
          return new Damage(start, "a record is cut off");
        }
        CRC32C c = new CRC32C();
        c.update(bytes, b.position(), len);
        if ((int) c.getValue() != crc) {
          return new Damage(start, "a record's checksum does not match");
        }
        sink.accept(start, java.util.Arrays.copyOfRange(bytes, b.position(), b.position() + len));
        b.position(b.position() + len);
      }
      return null;
    }
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

  static Op decode(byte[] payload) throws IOException {
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
    try {
      byte type = in.readByte();
      int n = count(in, 1);
      if (type == UPSERT) {
        List<IndexedItem> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          String id = str(in);
          float[] v = new float[count(in, 4)];
          for (int d = 0; d < v.length; d++) {
            v[d] = in.readFloat();
          }
          String imageRef = str(in);
          int fields = count(in, 5);
          Map<String, FieldValue> meta = new HashMap<>();
          for (int f = 0; f < fields; f++) {
            String name = str(in);
            byte kind = in.readByte();
            if (kind != 1 && kind != 2) {
              throw new IOException("unknown write-ahead log field kind " + kind);
            }
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
    } catch (RuntimeException e) {
      throw new IOException("write-ahead log record does not decode: " + e.getMessage(), e);
    }
  }

  /** A count read from the record, refused when the bytes left cannot hold that many entries of {@code minBytes}. */
  private static int count(DataInputStream in, int minBytes) throws IOException {
    int n = in.readInt();
    if (n < 0 || (long) n * minBytes > in.available()) {
      throw new IOException("write-ahead log count " + n + " is out of range");
    }
    return n;
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
    current.close();
  }
}
