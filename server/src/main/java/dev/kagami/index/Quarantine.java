package dev.kagami.index;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Write-ahead log records that replay could not apply, set aside so that the collection opens without them
 * and nothing is thrown away: {@code wal/quarantine.log}, in the log's framing (length, CRC32C, payload),
 * each payload {@code str reason, int64 generation, int64 offset, int32 length, the original record's payload}.
 * The file only grows; an operator can read it, repair the records and upsert them again.
 */
final class Quarantine {

  static final String FILE = "quarantine.log";

  private final WalFiles files;
  private long count;

  Quarantine(WalFiles files) throws IOException {
    this.files = files;
    if (files.exists(FILE)) {
      long[] n = {0};
      WriteAheadLog.Framing.Damage damage = WriteAheadLog.Framing.read(files.read(FILE), (off, payload) -> n[0]++);
      if (damage != null) {
        files.truncate(FILE, damage.offset()); // a torn tail of an earlier set-aside: that replay runs again
      }
      count = n[0];
    }
  }

  /** Records set aside in this collection, ever. */
  synchronized long count() {
    return count;
  }

  /** Keeps {@code record} with the reason it could not be applied; durable on return. */
  synchronized void add(WriteAheadLog.Replayed record, String reason) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    byte[] why = reason.getBytes(StandardCharsets.UTF_8);
    out.writeInt(why.length);
    out.write(why);
    out.writeLong(record.generation());
    out.writeLong(record.offset());
    out.writeInt(record.payload().length);
    out.write(record.payload());
    out.flush();
    try (WalFiles.Appender a = files.exists(FILE) ? files.openForAppend(FILE) : files.create(FILE)) {
      a.append(WriteAheadLog.frame(bytes.toByteArray()));
      a.sync();
    }
    count++;
  }
}
