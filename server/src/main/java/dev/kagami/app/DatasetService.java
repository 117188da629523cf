package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.ArchiveExtractor;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.ImportRoots;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
import dev.kagami.dataset.Thumbnails;
import dev.kagami.error.KagamiException.FailedPrecondition;
import dev.kagami.error.KagamiException.InvalidInput;
import dev.kagami.error.KagamiException.NotFound;
import dev.kagami.job.Job;
import dev.kagami.job.JobContext;
import dev.kagami.job.JobKind;
import dev.kagami.persistence.DatasetRepository;
import dev.kagami.persistence.StoredDataset;
import dev.kagami.preprocess.ImageDecoder;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Datasets: import (a job), list, get. The defaults of an import are declared here and nowhere else. */
@ApplicationScoped
public class DatasetService {

  public static final int DEFAULT_CLASS_DEPTH = 1;
  /** Skipped inputs shown with a dataset unless the caller asks for another number. */
  public static final int SKIPPED_SHOWN = 100;
  public static final long DEFAULT_SEED = 42;
  public static final Splits.Fractions DEFAULT_FRACTIONS = new Splits.Fractions(0.8, 0.1, 0.1);
  private static final String NAME = "[A-Za-z0-9._-]{1,200}";

  /** What an import job keeps as its result. */
  public record ImportResult(String datasetId, String name, int images, int skipped) {}

  public static final int DEFAULT_PAGE = 50;
  public static final int MAX_PAGE = 500;

  private final DatasetRepository datasets;
  private final JobService jobs;
  private final DatasetImporter importer;
  private final ImportRoots roots;
  private final Path uploads;
  private final DatasetImporter uploadImporter;
  private final ArchiveExtractor extractor;
  private final long maxUploadBytes;
  private final Thumbnails thumbnails;

  public DatasetService(DatasetRepository datasets, JobService jobs, ImageDecoder decoder, KagamiConfig config,
      dev.kagami.concurrent.Parallel parallel) {
    this.datasets = datasets;
    this.jobs = jobs;
    KagamiConfig.Datasets c = config.dataset();
    this.roots = ImportRoots.of(c.importRoots());
    this.importer = new DatasetImporter(decoder, roots, parallel);
    this.uploads = c.uploads().toAbsolutePath().normalize();
    // an uploaded manifest may name only files of its own upload
    this.uploadImporter = new DatasetImporter(decoder, ImportRoots.of(List.of(uploads)), parallel);
    this.extractor = new ArchiveExtractor(new ArchiveExtractor.Limits(c.maxUploadEntries(), c.maxUploadExpandedBytes()));
    this.maxUploadBytes = c.maxUploadBytes();
    this.thumbnails = new Thumbnails(decoder, c.thumbnails());
  }

  /**
   * Checks the command (name free and well formed, path allowed and present, splits valid) and starts the
   * import as a job; a bad command is refused here, before any job exists.
   */
  public Job startImport(ImportDatasetCommand cmd) {
    ImportDatasetCommand c = withDefaults(cmd);
    Splits.Spec spec = spec(c);
    if (datasets.find(c.name()).isPresent()) {
      throw new FailedPrecondition("a dataset named '" + c.name() + "' exists already");
    }
    Path path = roots.check(Path.of(c.path()));
    if (!Files.exists(path)) {
      throw new InvalidInput("no such file or folder: " + c.path());
    }
    return jobs.submit(JobKind.IMPORT_DATASET, c, ctx -> runImport(c, spec, path, ctx));
  }

  static ImportDatasetCommand withDefaults(ImportDatasetCommand c) {
    if (c.name() == null || !c.name().matches(NAME)) {
      throw new InvalidInput("dataset name must be 1-200 letters, digits, '.', '_' or '-': '" + c.name() + "'");
    }
    if (c.source() == null) {
      throw new InvalidInput("source is required: FOLDER, MANIFEST, FASHION_MNIST or OPENCLIPART");
    }
    if (c.path() == null || c.path().isBlank()) {
      throw new InvalidInput("path is required");
    }
    if (c.classDepth() != null && c.classDepth() < 1) {
      throw new InvalidInput("class depth must be at least 1, is " + c.classDepth());
    }
    if (c.limit() != null && c.limit() < 0) {
      throw new InvalidInput("limit must be 0 (all) or more, is " + c.limit());
    }
    boolean noFractions = c.trainFraction() == null && c.validationFraction() == null && c.testFraction() == null;
    Splits.Fractions f = noFractions ? DEFAULT_FRACTIONS : new Splits.Fractions(orZero(c.trainFraction()),
        orZero(c.validationFraction()), orZero(c.testFraction()));
    return new ImportDatasetCommand(c.name(), c.source(), c.path(),
        c.classDepth() == null ? DEFAULT_CLASS_DEPTH : c.classDepth(), c.limit() == null ? 0 : c.limit(),
        c.seed() == null ? DEFAULT_SEED : c.seed(), f.train(), f.validation(), f.test(), c.classDisjoint());
  }

  private static double orZero(Double d) {
    return d == null ? 0 : d;
  }

  private static Splits.Spec spec(ImportDatasetCommand c) {
    return new Splits.Spec(c.classDisjoint() ? "class-disjoint" : "stratified", c.seed(),
        new Splits.Fractions(c.trainFraction(), c.validationFraction(), c.testFraction()));
  }

  /**
   * Checks an upload (name free, size within the limit, splits valid), unpacks it under the uploads folder
   * (refusing entries that lead out, and zip bombs) and starts its import as a job. A refused upload leaves
   * nothing behind.
   */
  public Job startUpload(UploadDatasetCommand u) {
    if (u.size() > maxUploadBytes) {
      throw new InvalidInput("the upload has " + u.size() + " bytes; at most " + maxUploadBytes + " are accepted");
    }
    ImportDatasetCommand c = withDefaults(new ImportDatasetCommand(u.name(), ImportDatasetCommand.Source.FOLDER, "upload:" + u.name(),
        null, u.limit(), u.seed(), u.trainFraction(), u.validationFraction(), u.testFraction(), u.classDisjoint()));
    Splits.Spec spec = spec(c);
    if (datasets.find(c.name()).isPresent()) {
      throw new FailedPrecondition("a dataset named '" + c.name() + "' exists already");
    }
    Path dir;
    try (java.io.InputStream in = Files.newInputStream(u.archive())) {
      dir = extractor.extract(in, uploads, c.name() + "-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    } catch (IOException e) {
      throw new dev.kagami.error.KagamiException.BackendUnavailable("cannot read the uploaded file: " + e.getMessage(), e);
    }
    Path root = UploadLayout.root(dir);
    java.util.Optional<Path> manifest = UploadLayout.manifest(root);
    ImportDatasetCommand effective = new ImportDatasetCommand(c.name(), manifest.isPresent()
        ? ImportDatasetCommand.Source.MANIFEST : ImportDatasetCommand.Source.FOLDER, manifest.orElse(root).toString(),
        c.classDepth(), c.limit(), c.seed(), c.trainFraction(), c.validationFraction(), c.testFraction(), c.classDisjoint());
    try {
      return jobs.submit(JobKind.IMPORT_DATASET, effective, ctx -> {
        try {
          return runImport(effective, spec, Path.of(effective.path()), ctx, uploadImporter);
        } catch (RuntimeException e) {
          ArchiveExtractor.deleteQuietly(dir);
          throw e;
        }
      });
    } catch (RuntimeException e) {
      ArchiveExtractor.deleteQuietly(dir);
      throw e;
    }
  }

  private ImportResult runImport(ImportDatasetCommand c, Splits.Spec spec, Path path, JobContext ctx) {
    return runImport(c, spec, path, ctx, importer);
  }

  private ImportResult runImport(ImportDatasetCommand c, Splits.Spec spec, Path path, JobContext ctx,
      DatasetImporter importer) {
    ImportProgress progress = ctx::progress;
    Dataset d;
    try {
      d = switch (c.source()) {
        case FOLDER -> importer.folder(path, c.name(), progress);
        case MANIFEST -> importer.manifest(path, c.name(), progress);
        case FASHION_MNIST -> importer.fashionMnist(path, c.name(), c.limit(), progress);
        case OPENCLIPART -> importer.openClipart(path, c.classDepth(), c.name(), progress);
      };
    } catch (IOException e) {
      throw new InvalidInput("cannot read " + c.path() + ": " + e.getMessage(), e);
    }
    if (c.limit() > 0 && c.source() != ImportDatasetCommand.Source.FASHION_MNIST && d.items().size() > c.limit()) {
      d = Subsample.evenly(d, c.limit(), spec.seed());
    }
    if (d.items().isEmpty()) {
      throw new InvalidInput("no usable images in " + c.path() + " (" + d.skipped().size() + " inputs skipped)");
    }
    ctx.progress("storing", d.items().size(), d.items().size());
    StoredDataset stored = datasets.save(d, spec);
    return new ImportResult(stored.id(), d.name(), d.items().size(), d.skipped().size());
  }

  public List<DatasetRepository.Summary> list() {
    return datasets.list();
  }

  public StoredDataset get(String name) {
    return datasets.find(name).orElseThrow(() -> new NotFound("no dataset named '" + name + "'"));
  }

  /** A dataset's counts per class and split, its first {@code maxSkipped} skipped inputs, and a page of items. */
  public DatasetDetails details(String name, int offset, int limit, int maxSkipped) {
    if (offset < 0 || limit < 0 || limit > MAX_PAGE || maxSkipped < 0) {
      throw new InvalidInput("offset and skipped must be >= 0 and limit 0.." + MAX_PAGE + " (0 = " + DEFAULT_PAGE + ")");
    }
    int page = limit == 0 ? DEFAULT_PAGE : limit;
    StoredDataset s = get(name);
    Dataset d = s.dataset();
    java.util.Map<dev.kagami.dataset.Split, Long> splits = new java.util.EnumMap<>(dev.kagami.dataset.Split.class);
    java.util.Map<String, long[]> perClass = new java.util.TreeMap<>();
    for (dev.kagami.dataset.DatasetItem it : d.items()) {
      dev.kagami.dataset.Split sp = s.splits().get(it.id());
      splits.merge(sp, 1L, Long::sum);
      long[] c = perClass.computeIfAbsent(it.label(), k -> new long[4]);
      c[0]++;
      c[1 + sp.ordinal()]++;
    }
    List<DatasetDetails.ClassCount> classes = perClass.entrySet().stream().map(e -> new DatasetDetails.ClassCount(e.getKey(),
        e.getValue()[0], e.getValue()[1 + dev.kagami.dataset.Split.TRAIN.ordinal()],
        e.getValue()[1 + dev.kagami.dataset.Split.VALIDATION.ordinal()], e.getValue()[1 + dev.kagami.dataset.Split.TEST.ordinal()]))
        .toList();
    List<DatasetDetails.Item> items = d.items().stream().skip(offset).limit(page).map(it -> new DatasetDetails.Item(it.id(),
        it.label(), s.splits().get(it.id()), it.captions(), it.metadata())).toList();
    return new DatasetDetails(s.id(), d.name(), d.source(), s.createdAt(), d.items().size(), s.spec().kind(), s.spec().seed(),
        splits, classes, d.skipped().size(), d.skipped().stream().limit(maxSkipped).toList(),
        new DatasetDetails.Page(offset, page, d.items().size(), items));
  }

  /** A PNG thumbnail of one item's image, its longer side at most {@code size} pixels (cached). */
  public byte[] thumbnail(String name, String itemId, int size) {
    dev.kagami.dataset.DatasetItem it = get(name).dataset().items().stream().filter(i -> i.id().equals(itemId)).findFirst()
        .orElseThrow(() -> new NotFound("no item '" + itemId + "' in dataset '" + name + "'"));
    try {
      return thumbnails.of(it.source(), size);
    } catch (java.io.UncheckedIOException e) {
      throw new dev.kagami.error.KagamiException.FailedPrecondition("the image of item '" + itemId + "' can no longer be read: "
          + e.getCause().getMessage());
    }
  }
}
