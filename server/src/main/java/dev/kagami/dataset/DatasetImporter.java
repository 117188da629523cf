package dev.kagami.dataset;

import dev.kagami.concurrent.Parallel;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.preprocess.ImageDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Imports a PoC dataset from one of four sources: a folder with one sub-folder per class; a JSONL or CSV
 * manifest; Fashion-MNIST IDX files; the OpenClipart PNG tree. Every image is decoded with the same
 * limits as Embed; whatever is not taken is listed in {@link Dataset#skipped()} with the reason.
 */
public final class DatasetImporter {

  static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp", "gif", "bmp");

  /** Fashion-MNIST's classes, in label order (Xiao et al., 2017, README of zalandoresearch/fashion-mnist). */
  public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  private final ImageDecoder decoder;
  private final ImportRoots roots;
  private final ObjectMapper json = new ObjectMapper();
  private final Parallel parallel;

  /** An importer that reads whatever the process can read (the command-line tools). */
  public DatasetImporter(ImageDecoder decoder, Parallel parallel) {
    this(decoder, ImportRoots.any(), parallel);
  }

  /** An importer that reads only under {@code roots}; images are checked on the calling thread. */
  public DatasetImporter(ImageDecoder decoder, ImportRoots roots) {
    this(decoder, roots, Parallel.SEQUENTIAL);
  }

  /** An importer that reads only under {@code roots} (the server); images are checked on {@code parallel}. */
  public DatasetImporter(ImageDecoder decoder, ImportRoots roots, Parallel parallel) {
    this.decoder = decoder;
    this.roots = roots;
    this.parallel = parallel;
  }

  /** {@code root/<class>/<image>}; nested folders below a class folder belong to that class. */
  public Dataset folder(Path requested, String name, ImportProgress progress) throws IOException {
    Path root = roots.check(requested);
    requireDir(root);
    List<DatasetItem> items = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    try (Stream<Path> classes = Files.list(root)) {
      for (Path classDir : classes.sorted().toList()) {
        if (!Files.isDirectory(classDir)) {
          skipped.add(new Skipped(classDir.toString(), "not in a class folder"));
          continue;
        }
        String label = classDir.getFileName().toString();
        for (Path f : files(classDir)) {
          if (isImageName(f)) {
            items.add(new DatasetItem(root.relativize(f).toString(), label, List.of(), Map.of(), new ImageSource.File(f)));
          } else {
            skipped.add(new Skipped(f.toString(), "not an image file name (" + String.join(", ", IMAGE_EXTENSIONS) + ")"));
          }
        }
      }
    }
    return validate(name, "folder:" + root, items, skipped, progress);
  }

  /**
   * A manifest: JSONL (one object per line: {@code image}, {@code label}, optional {@code captions}
   * array, optional {@code metadata} object, optional {@code id}) or CSV with a header row ({@code image},
   * {@code label}, optional {@code captions} separated by {@code |}, optional {@code id}; other columns
   * become metadata). Relative image paths are resolved against the manifest's folder.
   */
  public Dataset manifest(Path requested, String name, ImportProgress progress) throws IOException {
    Path file = roots.check(requested);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInput("manifest " + file + " does not exist");
    }
    String fn = file.getFileName().toString().toLowerCase(Locale.ROOT);
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<DatasetItem> items = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    Path base = file.toAbsolutePath().getParent();
    if (fn.endsWith(".jsonl") || fn.endsWith(".ndjson")) {
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty()) {
          continue;
        }
        String where = file + ":" + (i + 1);
        try {
          JsonNode n = json.readTree(line);
          List<String> captions = new ArrayList<>();
          n.path("captions").forEach(c -> captions.add(c.asText()));
          Map<String, String> meta = new LinkedHashMap<>();
          n.path("metadata").fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().asText()));
          addManifestRow(base, where, n.path("id").asText(""), n.path("image").asText(""), n.path("label").asText(""),
              captions, meta, items, skipped);
        } catch (IOException e) {
          skipped.add(new Skipped(where, "not valid JSON: " + e.getMessage().lines().findFirst().orElse("")));
        }
      }
    } else if (fn.endsWith(".csv")) {
      if (lines.isEmpty()) {
        throw new InvalidInput("manifest " + file + " is empty");
      }
      List<String> header = Csv.parseLine(lines.get(0));
      int image = header.indexOf("image");
      int label = header.indexOf("label");
      if (image < 0 || label < 0) {
        throw new InvalidInput("manifest " + file + " needs the columns image and label; it has " + header);
      }
      int captions = header.indexOf("captions");
      int id = header.indexOf("id");
      for (int i = 1; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        String where = file + ":" + (i + 1);
        List<String> row = Csv.parseLine(lines.get(i));
        if (row.size() != header.size()) {
          skipped.add(new Skipped(where, "has " + row.size() + " fields, the header has " + header.size()));
          continue;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (int c = 0; c < header.size(); c++) {
          if (c != image && c != label && c != captions && c != id) {
            meta.put(header.get(c), row.get(c));
          }
        }
        List<String> caps = captions < 0 || row.get(captions).isBlank() ? List.of()
            : Arrays.stream(row.get(captions).split("\\|")).map(String::strip).filter(s -> !s.isEmpty()).toList();
        addManifestRow(base, where, id < 0 ? "" : row.get(id), row.get(image), row.get(label), caps, meta, items, skipped);
      }
    } else {
      throw new InvalidInput("manifest " + file + " must end in .jsonl, .ndjson or .csv");
    }
    return validate(name, "manifest:" + file, items, skipped, progress);
  }

  private static void addManifestRow(Path base, String where, String id, String image, String label, List<String> captions,
      Map<String, String> meta, List<DatasetItem> items, List<Skipped> skipped) {
    if (image.isBlank()) {
      skipped.add(new Skipped(where, "no image path"));
      return;
    }
    if (label.isBlank()) {
      skipped.add(new Skipped(where, "no label"));
      return;
    }
    Path p = base.resolve(image).normalize();
    items.add(new DatasetItem(id.isBlank() ? image : id, label, captions, meta, new ImageSource.File(p)));
  }

  /**
   * Fashion-MNIST: a folder with {@code train-images-idx3-ubyte[.gz]}, {@code train-labels-idx1-ubyte[.gz]},
   * {@code t10k-images-idx3-ubyte[.gz]}, {@code t10k-labels-idx1-ubyte[.gz]} (Debian's package
   * dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist). The original split is kept
   * in each item's metadata ({@code origin}: train or t10k).
   */
  public Dataset fashionMnist(Path requested, String name, int limitPerPart, ImportProgress progress) throws IOException {
    Path dir = roots.check(requested);
    requireDir(dir);
    List<DatasetItem> items = new ArrayList<>();
    for (String part : List.of("train", "t10k")) {
      Path images = idxFile(dir, part + "-images-idx3-ubyte");
      Path labels = idxFile(dir, part + "-labels-idx1-ubyte");
      IdxImages imgs = IdxImages.read(images);
      int[] lab = IdxImages.readLabels(labels);
      if (lab.length != imgs.count()) {
        throw new InvalidInput(images + " has " + imgs.count() + " images but " + labels + " has " + lab.length + " labels");
      }
      int n = limitPerPart > 0 ? Math.min(limitPerPart, imgs.count()) : imgs.count();
      for (int i = 0; i < n; i++) {
        if (lab[i] >= FASHION_MNIST_CLASSES.size()) {
          throw new InvalidInput(labels + " has label " + lab[i] + " at " + i + "; Fashion-MNIST has 10 classes");
        }
        String label = FASHION_MNIST_CLASSES.get(lab[i]);
        items.add(new DatasetItem(String.format(Locale.ROOT, "%s-%05d", part, i), label, List.of(),
            Map.of("origin", part), new ImageSource.Idx(imgs, i)));
      }
    }
    return validate(name, "fashion-mnist:" + dir, items, new ArrayList<>(), progress);
  }

  private Path idxFile(Path dir, String base) {
    for (String candidate : List.of(base, base + ".gz")) {
      if (!roots.allowed(dir.resolve(candidate))) {
        throw roots.refused();
      }
      if (Files.isRegularFile(dir.resolve(candidate))) {
        return dir.resolve(candidate);
      }
    }
    throw new InvalidInput("Fashion-MNIST folder " + dir + " has no " + base + " (or .gz)");
  }

  /**
   * The OpenClipart PNG tree ({@code /usr/share/openclipart/png} from Debian's openclipart-png): the class is
   * the first {@code classDepth} folder levels (1: "animals"; 2: "animals/birds"), the caption is made from
   * the file name (underscores and dashes to spaces, a trailing counter dropped) and the folder path.
   */
  public Dataset openClipart(Path requested, int classDepth, String name, ImportProgress progress) throws IOException {
    Path root = roots.check(requested);
    requireDir(root);
    if (classDepth < 1) {
      throw new InvalidInput("classDepth must be >= 1, is " + classDepth);
    }
    List<DatasetItem> items = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Path f : files(root)) {
      Path rel = root.relativize(f);
      if (!isImageName(f)) {
        skipped.add(new Skipped(f.toString(), "not an image file name"));
        continue;
      }
      if (rel.getNameCount() <= classDepth) {
        skipped.add(new Skipped(f.toString(), "fewer than " + classDepth + " folder levels: no class"));
        continue;
      }
      String label = rel.subpath(0, classDepth).toString().replace('\\', '/');
      String folders = rel.getNameCount() > 1 ? rel.subpath(0, rel.getNameCount() - 1).toString().replace('/', ' ').replace('_', ' ') : "";
      items.add(new DatasetItem(rel.toString(), label, List.of(clipartCaption(f.getFileName().toString(), folders)),
          Map.of("path", rel.toString()), new ImageSource.File(f)));
    }
    return validate(name, "openclipart:" + root, items, skipped, progress);
  }

  static String clipartCaption(String fileName, String folders) {
    String stem = fileName.replaceFirst("\\.[A-Za-z]+$", "");
    stem = stem.replaceFirst("_+\\d*$", "");
    String words = stem.replaceAll("[_\\-]+", " ").replaceAll("\\s+", " ").strip();
    return ("a clip art drawing of " + words + (folders.isBlank() ? "" : ", " + folders)).strip();
  }

  private Dataset validate(String name, String source, List<DatasetItem> candidates, List<Skipped> skipped,
      ImportProgress progress) {
    int n = candidates.size();
    String[] reasons = new String[n];
    AtomicLong done = new AtomicLong();
    progress.update("validating images", 0, n);
    parallel.forEach(n, i -> {
      try {
        if (candidates.get(i).source() instanceof ImageSource.File f && !roots.allowed(f.path())) {
          // the same words whether the file exists or not: nothing is told about files outside the roots
          reasons[i] = "outside the import roots";
          return;
        }
        decoder.decode(candidates.get(i).source().read());
      } catch (InvalidInput e) {
        reasons[i] = e.getMessage();
      } catch (RuntimeException e) {
        reasons[i] = "cannot read: " + e.getMessage();
      }
      long d = done.incrementAndGet();
      if (d % 1000 == 0 || d == n) {
        progress.update("validating images", d, n);
      }
    });
    List<DatasetItem> ok = new ArrayList<>(n);
    List<Skipped> allSkipped = new ArrayList<>(skipped);
    Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < n; i++) {
      DatasetItem item = candidates.get(i);
      if (reasons[i] != null) {
        allSkipped.add(new Skipped(item.source().ref(), reasons[i]));
      } else if (!ids.add(item.id())) {
        allSkipped.add(new Skipped(item.source().ref(), "duplicate id " + item.id()));
      } else {
        ok.add(item);
      }
    }
    return Dataset.of(name, source, ok, allSkipped);
  }

  private static void requireDir(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInput(dir + " is not a folder");
    }
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> out = new ArrayList<>(s.filter(Files::isRegularFile).toList());
      Collections.sort(out);
      return out;
    }
  }

  static boolean isImageName(Path f) {
    String n = f.getFileName().toString();
    int dot = n.lastIndexOf('.');
    return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
  }
}
