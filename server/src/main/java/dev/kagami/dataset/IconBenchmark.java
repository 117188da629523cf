package dev.kagami.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kagami.concurrent.Parallel;
import dev.kagami.error.KagamiException.InvalidInput;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Writes the icon-theme benchmark: one class per icon name that at least {@code minThemes} themes draw,
 * each theme's drawing rasterised at one size onto white, de-duplicated (the same file in two themes or
 * under two names is kept once; a drawing that is another theme's recoloured, by {@link IconRaster.Signature},
 * is dropped), with a caption from the name and context. The result is a folder of PNGs and a
 * {@code manifest.jsonl} the MANIFEST importer reads (import it with class-disjoint splits, so that test
 * classes are never trained on), and {@code skipped.tsv} with every drawing left out and why.
 */
public final class IconBenchmark {

  /**
   * Correlation of signatures at or above which two drawings of one class are one drawing (recoloured, or
   * drawn again at another pixel size, as themes forked from one another do). Chosen by looking at four classes of
   * Debian bookworm's themes once, by hand (a 32x32 luminance correlation, not this code): gnome's and mate's copies
   * of one drawing gave 0.954 and 0.958, distinct themes' drawings at most 0.88; not a measured error rate.
   */
  public static final double RECOLOUR_CORRELATION = 0.93;

  /**
   * @param root the icon folder ({@code /usr/share/icons})
   * @param themes theme folder names (see {@link IconThemes#DEFAULT_THEMES})
   * @param minThemes least number of distinct drawings a class keeps
   * @param size side of every image, in pixels
   * @param maxClasses at most this many classes, drawn with the seed; 0 for all
   */
  public record Spec(Path root, List<String> themes, int minThemes, int size, int maxClasses, long seed) {

    public Spec {
      themes = List.copyOf(themes);
      if (minThemes < 2 || size < 16 || size > 1024 || maxClasses < 0) {
        throw new InvalidInput("min themes must be >= 2, size 16..1024 and max classes >= 0");
      }
    }
  }

  /** What was written: the themes used (with their icon counts), classes, images, and what was left out. */
  public record Result(Map<String, Integer> themes, int candidateClasses, int classes, int images, Map<String, Integer> skippedBy,
      Path manifest) {}

  private final Parallel parallel;
  private final ObjectMapper json = new ObjectMapper();

  public IconBenchmark(Parallel parallel) {
    this.parallel = parallel;
  }

  private record Drawing(IconThemes.Icon icon, String hash, BufferedImage image, IconRaster.Signature signature, String error) {}

  public Result write(Spec spec, Path out) throws IOException {
    List<Path> dirs = IconThemes.themes(spec.root(), spec.themes());
    if (dirs.size() < spec.minThemes()) {
      throw new InvalidInput(spec.root() + " has " + dirs.size() + " of the themes " + spec.themes() + ", fewer than the "
          + spec.minThemes() + " a class needs");
    }
    List<List<IconThemes.Icon>> scanned = new ArrayList<>();
    for (int i = 0; i < dirs.size(); i++) {
      scanned.add(null);
    }
    parallel.forEach(dirs.size(), i -> {
      try {
        scanned.set(i, IconThemes.scan(dirs.get(i)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Map<String, Integer> themes = new LinkedHashMap<>();
    for (int i = 0; i < dirs.size(); i++) {
      themes.put(dirs.get(i).getFileName().toString(), scanned.get(i).size());
    }
    Map<String, List<IconThemes.Icon>> shared = IconThemes.shared(scanned, spec.minThemes());
    List<String> order = new ArrayList<>(shared.keySet());
    Collections.shuffle(order, new Random(spec.seed()));

    if (Files.exists(out.resolve("images"))) { // an earlier run's images: replaced, so none is stale
      ArchiveExtractor.deleteQuietly(out.resolve("images"));
    }
    Files.createDirectories(out.resolve("images"));
    Path manifest = out.resolve("manifest.jsonl");
    StringBuilder lines = new StringBuilder();
    StringBuilder skipped = new StringBuilder("file\treason\n");
    Map<String, Integer> skippedBy = new LinkedHashMap<>();
    Map<String, String> seenFiles = new HashMap<>(); // content hash -> "name/theme" that kept it
    int classes = 0;
    int images = 0;
    int batch = 32;
    for (int from = 0; from < order.size() && (spec.maxClasses() == 0 || classes < spec.maxClasses()); from += batch) {
      List<String> names = order.subList(from, Math.min(order.size(), from + batch));
      List<IconThemes.Icon> icons = new ArrayList<>();
      names.forEach(n -> icons.addAll(shared.get(n)));
      Drawing[] drawn = new Drawing[icons.size()];
      parallel.forEach(icons.size(), i -> drawn[i] = draw(icons.get(i), spec.size()));
      int k = 0;
      for (String name : names) {
        List<Drawing> mine = new ArrayList<>();
        for (int j = 0; j < shared.get(name).size(); j++) {
          mine.add(drawn[k++]);
        }
        if (spec.maxClasses() > 0 && classes >= spec.maxClasses()) {
          continue;
        }
        List<Drawing> kept = new ArrayList<>();
        List<String[]> left = new ArrayList<>();
        for (Drawing d : mine) {
          String why = d.error();
          if (why == null && seenFiles.containsKey(d.hash())) {
            why = "the same file as " + seenFiles.get(d.hash());
          }
          if (why == null) {
            for (Drawing o : kept) {
              if (o.hash().equals(d.hash())) {
                why = "the same file as " + name + "/" + o.icon().theme();
                break;
              }
            }
          }
          if (why == null) {
            for (Drawing o : kept) {
              if (d.signature().sameDrawing(o.signature(), RECOLOUR_CORRELATION)) {
                why = "the same drawing as " + o.icon().theme() + "'s (recoloured or resized)";
                break;
              }
            }
          }
          if (why == null) {
            kept.add(d);
          } else {
            left.add(new String[] {d.icon().file().toString(), why});
          }
        }
        if (kept.size() < spec.minThemes()) {
          kept.forEach(d -> left.add(new String[] {d.icon().file().toString(), "too few distinct drawings: its class keeps "
              + kept.size() + ", fewer than " + spec.minThemes()}));
        } else {
          classes++;
          String caption = IconThemes.caption(name, shared.get(name));
          Path dir = out.resolve("images").resolve(name);
          Files.createDirectories(dir);
          for (Drawing d : kept) {
            String theme = d.icon().theme();
            seenFiles.put(d.hash(), name + "/" + theme);
            ImageIO.write(IconRaster.onWhite(d.image()), "png", dir.resolve(theme + ".png").toFile());
            ObjectNode row = json.createObjectNode().put("id", name + "/" + theme).put("image", "images/" + name + "/" + theme + ".png")
                .put("label", name);
            row.putArray("captions").add(caption);
            row.putObject("metadata").put("theme", theme).put("context", d.icon().context())
                .put("source", spec.root().relativize(d.icon().file()).toString());
            lines.append(json.writeValueAsString(row)).append('\n');
            images++;
          }
        }
        for (String[] l : left) {
          skipped.append(l[0]).append('\t').append(l[1]).append('\n');
          skippedBy.merge(l[1].replaceAll(" as .*|: .*", ""), 1, Integer::sum);
        }
      }
    }
    Files.writeString(out.resolve("skipped.tsv"), skipped, StandardCharsets.UTF_8);
    Path tmp = out.resolve("manifest.jsonl.tmp");
    Files.writeString(tmp, lines, StandardCharsets.UTF_8);
    Files.move(tmp, manifest, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return new Result(themes, shared.size(), classes, images, skippedBy, manifest);
  }

  private static Drawing draw(IconThemes.Icon icon, int size) {
    try {
      byte[] bytes = Files.readAllBytes(icon.file());
      BufferedImage img = IconRaster.render(icon.file(), bytes, size);
      return new Drawing(icon, sha256(bytes), img, IconRaster.signature(img), null);
    } catch (IOException | RuntimeException e) {
      return new Drawing(icon, "", null, null, "cannot be drawn: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
