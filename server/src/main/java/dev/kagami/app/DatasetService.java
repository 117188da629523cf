package dev.kagami.app;

import dev.kagami.config.KagamiConfig;
import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.DatasetImporter;
import dev.kagami.dataset.ImportProgress;
import dev.kagami.dataset.ImportRoots;
import dev.kagami.dataset.Splits;
import dev.kagami.dataset.Subsample;
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

  private final DatasetRepository datasets;
  private final JobService jobs;
  private final DatasetImporter importer;
  private final ImportRoots roots;

  public DatasetService(DatasetRepository datasets, JobService jobs, ImageDecoder decoder, KagamiConfig config) {
    this.datasets = datasets;
    this.jobs = jobs;
    this.roots = ImportRoots.of(config.dataset().importRoots());
    this.importer = new DatasetImporter(decoder, roots);
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

  private ImportResult runImport(ImportDatasetCommand c, Splits.Spec spec, Path path, JobContext ctx) {
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
}
