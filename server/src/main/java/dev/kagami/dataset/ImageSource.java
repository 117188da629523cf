package dev.kagami.dataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a dataset item's image is kept. Images are kept by reference, never copied into the database. */
public sealed interface ImageSource {

  /** The encoded image bytes. */
  byte[] read();

  /** A stable, human-readable reference (stored with the item). */
  String ref();

  /** An image file. */
  record File(Path path) implements ImageSource {
    @Override
    public byte[] read() {
      try {
        return Files.readAllBytes(path);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
      }
    }

    @Override
    public String ref() {
      return path.toString();
    }
  }

  /** Image {@code index} of an IDX image file (Fashion-MNIST), encoded as PNG on read. */
  record Idx(IdxImages file, int index) implements ImageSource {
    @Override
    public byte[] read() {
      return file.png(index);
    }

    @Override
    public String ref() {
      return "idx:" + file.path() + "#" + index;
    }
  }
}
