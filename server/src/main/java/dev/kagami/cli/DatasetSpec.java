package dev.kagami.cli;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.Subsample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;

/**
 * A dataset named on the command line as {@code KIND:PATH}: {@code fashion-mnist:DIR}, {@code openclipart:DIR}
 * or {@code openclipart:DIR:DEPTH} (class = the first DEPTH folders), {@code folder:DIR} (a folder per class),
 * {@code manifest:FILE} (CSV or JSON lines).
 */
record DatasetSpec(Kind kind, Path path, int classDepth) {

  enum Kind {
    FASHION_MNIST, OPENCLIPART, FOLDER, MANIFEST;

    String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /**
   * Imports it. {@code limit > 0} keeps at most {@code limit} images per part (Fashion-MNIST) or in all,
   * taken evenly over the classes with {@code seed}.
   */
  Dataset load(DatasetImporter imp, int limit, long seed) throws IOException {
    Dataset d = switch (kind) {
      case FASHION_MNIST -> imp.fashionMnist(path, "fashion-mnist", limit, ImportProgress.NONE);
      case OPENCLIPART -> imp.openClipart(path, classDepth, "openclipart", ImportProgress.NONE);
      case FOLDER -> imp.folder(path, path.getFileName().toString(), ImportProgress.NONE);
      case MANIFEST -> imp.manifest(path, path.getFileName().toString(), ImportProgress.NONE);
    };
    if (limit > 0 && kind != Kind.FASHION_MNIST && d.items().size() > limit) {
      d = Subsample.evenly(d, limit, seed);
    }
    return d;
  }

  /** Parses {@code KIND:PATH[:DEPTH]} for picocli. */
  static final class Converter implements CommandLine.ITypeConverter<DatasetSpec> {
    @Override
    public DatasetSpec convert(String value) {
      int colon = value.indexOf(':');
      if (colon < 0) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not KIND:PATH (kinds: fashion-mnist, openclipart, "
            + "folder, manifest), e.g. fashion-mnist:/usr/share/datasets/fashion-mnist");
      }
      String name = value.substring(0, colon);
      Kind kind = java.util.Arrays.stream(Kind.values()).filter(k -> k.label().equals(name)).findFirst()
          .orElseThrow(() -> new CommandLine.TypeConversionException("unknown dataset kind '" + name
              + "' (kinds: fashion-mnist, openclipart, folder, manifest)"));
      String rest = value.substring(colon + 1);
      int depth = 1;
      if (kind == Kind.OPENCLIPART && rest.matches(".*:\\d+")) {
        int last = rest.lastIndexOf(':');
        depth = Integer.parseInt(rest.substring(last + 1));
        rest = rest.substring(0, last);
      }
      if (rest.isEmpty()) {
        throw new CommandLine.TypeConversionException("'" + value + "' names no path");
      }
      return new DatasetSpec(kind, Path.of(rest), depth);
    }
  }
}
