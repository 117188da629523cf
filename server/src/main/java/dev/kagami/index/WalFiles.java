package dev.kagami.index;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.apache.lucene.util.IOUtils;

/**
 * The files of one write-ahead log folder, behind an interface so that a test can put a layer between the
 * log and the disk that forgets, on a simulated crash, every byte that was not synced (as Lucene's
 * {@code MockDirectoryWrapper.crash()} does). Only {@link Appender#sync()} makes appended bytes durable;
 * {@link #create}, {@link #truncate} and {@link #delete} are durable on return (the folder is synced too).
 */
interface WalFiles {

  /** An open file that takes appends. */
  interface Appender extends Closeable {
    void append(ByteBuffer bytes) throws IOException;

    /** Makes every byte appended so far durable. */
    void sync() throws IOException;

    long size() throws IOException;
  }

  /** The names of the files in the folder. */
  List<String> list() throws IOException;

  /** Creates a new, empty file; fails if it exists. */
  Appender create(String name) throws IOException;

  /** Opens an existing file to append to its end. */
  Appender openForAppend(String name) throws IOException;

  byte[] read(String name) throws IOException;

  /** Cuts a file to {@code size} bytes, durably. */
  void truncate(String name, long size) throws IOException;

  void delete(String name) throws IOException;

  boolean exists(String name);

  /** Makes a {@link WalFiles} for a folder. */
  @FunctionalInterface
  interface Factory {
    WalFiles open(Path dir) throws IOException;
  }

  /** The real files. */
  Factory DISK = Disk::new;

  /** Files on the local file system, synced with {@code fsync}. */
  final class Disk implements WalFiles {
    private final Path dir;

    Disk(Path dir) throws IOException {
      this.dir = dir;
      Files.createDirectories(dir);
    }

    @Override
    public List<String> list() throws IOException {
      try (Stream<Path> files = Files.list(dir)) {
        return files.map(p -> p.getFileName().toString()).sorted().toList();
      }
    }

    @Override
    public Appender create(String name) throws IOException {
      FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      IOUtils.fsync(dir, true); // the new file's directory entry is durable too
      return new Channel(ch);
    }

    @Override
    public Appender openForAppend(String name) throws IOException {
      return new Channel(FileChannel.open(dir.resolve(name), StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    @Override
    public byte[] read(String name) throws IOException {
      return Files.readAllBytes(dir.resolve(name));
    }

    @Override
    public void truncate(String name, long size) throws IOException {
      try (FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.WRITE)) {
        ch.truncate(size);
        ch.force(true);
      }
    }

    @Override
    public void delete(String name) throws IOException {
      Files.deleteIfExists(dir.resolve(name));
    }

    @Override
    public boolean exists(String name) {
      return Files.exists(dir.resolve(name));
    }

    private record Channel(FileChannel ch) implements Appender {
      @Override
      public void append(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }

      @Override
      public void sync() throws IOException {
        ch.force(false);
      }

      @Override
      public long size() throws IOException {
        return ch.size();
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    }
  }
}
