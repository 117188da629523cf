package dev.kagami.index;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link WalFiles} layer over the real files that remembers, per file, how many bytes were synced, and on
 * {@link #crash()} cuts every file back to that length: what a power loss leaves of the page cache. After a
 * crash every call fails, as the dead process would. Lucene's {@code MockDirectoryWrapper.crash()} does the
 * same for index files. One instance serves every log folder of a store (one per collection).
 */
final class CrashingWalFiles implements WalFiles.Factory {

  private final Map<Path, Folder> folders = new HashMap<>();
  private boolean crashed;

  @Override
  public synchronized WalFiles open(Path dir) throws IOException {
    Folder f = new Folder(new WalFiles.Disk(dir), dir);
    folders.put(dir, f);
    return f;
  }

  /** Drops every byte that was appended but not synced, in every folder; later calls fail. */
  synchronized void crash() throws IOException {
    crashed = true;
    for (Folder f : folders.values()) {
      f.dropUnsynced();
    }
    folders.clear();
  }

  private synchronized void check() throws IOException {
    if (crashed) {
      throw new IOException("simulated crash: the process is gone");
    }
  }

  private final class Folder implements WalFiles {
    private final WalFiles.Disk disk;
    private final Path dir;
    /** File name to its synced length (files opened or created through this layer). */
    private final Map<String, Long> synced = new HashMap<>();

    Folder(WalFiles.Disk disk, Path dir) {
      this.disk = disk;
      this.dir = dir;
    }

    void dropUnsynced() throws IOException {
      synchronized (CrashingWalFiles.this) {
        for (Map.Entry<String, Long> e : synced.entrySet()) {
          if (disk.exists(e.getKey())) {
            disk.truncate(e.getKey(), e.getValue());
          }
        }
      }
    }

    @Override
    public List<String> list() throws IOException {
      check();
      return disk.list();
    }

    @Override
    public Appender create(String name) throws IOException {
      check();
      Appender a = disk.create(name);
      synchronized (CrashingWalFiles.this) {
        synced.put(name, 0L); // created durably (the folder is synced), empty
      }
      return wrap(name, a);
    }

    @Override
    public Appender openForAppend(String name) throws IOException {
      check();
      Appender a = disk.openForAppend(name);
      synchronized (CrashingWalFiles.this) {
        synced.putIfAbsent(name, a.size()); // what is there at open is on disk
      }
      return wrap(name, a);
    }

    private Appender wrap(String name, Appender a) {
      return new Appender() {
        @Override
        public void append(ByteBuffer bytes) throws IOException {
          check();
          a.append(bytes);
        }

        @Override
        public void sync() throws IOException {
          check();
          a.sync();
          long size = a.size();
          synchronized (CrashingWalFiles.this) {
            synced.put(name, size);
          }
        }

        @Override
        public long size() throws IOException {
          return a.size();
        }

        @Override
        public void close() throws IOException {
          a.close();
        }
      };
    }

    @Override
    public byte[] read(String name) throws IOException {
      check();
      return disk.read(name);
    }

    @Override
    public void truncate(String name, long size) throws IOException {
      check();
      disk.truncate(name, size);
      synchronized (CrashingWalFiles.this) {
        synced.put(name, size);
      }
    }

    @Override
    public void delete(String name) throws IOException {
      check();
      disk.delete(name);
      synchronized (CrashingWalFiles.this) {
        synced.remove(name);
      }
    }

    @Override
    public boolean exists(String name) {
      return disk.exists(name);
    }

    @Override
    public String toString() {
      return "CrashingWalFiles[" + dir + "]";
    }
  }
}
