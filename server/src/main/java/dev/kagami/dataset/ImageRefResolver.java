package dev.kagami.dataset;

import dev.kagami.error.KagamiException.InvalidInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns a stored image reference ({@link ImageSource#ref()}) back into an {@link ImageSource}. IDX files
 * are read once and shared.
 */
public final class ImageRefResolver {

  private final Map<Path, IdxImages> idx = new ConcurrentHashMap<>();

  public ImageSource resolve(String ref) {
    if (ref.startsWith("idx:")) {
      int hash = ref.lastIndexOf('#');
      if (hash < 0) {
        throw new InvalidInput("bad IDX image reference " + ref);
      }
      Path file = Path.of(ref.substring(4, hash));
      int index = Integer.parseInt(ref.substring(hash + 1));
      IdxImages images = idx.computeIfAbsent(file, f -> {
        try {
          return IdxImages.read(f);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
      });
      return new ImageSource.Idx(images, index);
    }
    return new ImageSource.File(Path.of(ref));
  }
}
