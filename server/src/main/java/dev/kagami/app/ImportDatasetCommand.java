package dev.kagami.app;

/**
 * Import a dataset from a path on the server (under the import roots). Fields left null take the defaults
 * of {@link DatasetService}: class depth 1, no limit, seed 42, fractions 0.8 / 0.1 / 0.1, stratified.
 */
public record ImportDatasetCommand(String name, Source source, String path, Integer classDepth, Integer limit, Long seed,
    Double trainFraction, Double validationFraction, Double testFraction, boolean classDisjoint) {

  /** How the path is read. */
  public enum Source {
    /** A folder with one sub-folder per class. */
    FOLDER,
    /** A .jsonl/.ndjson or .csv manifest: image path, label, optional captions, id and metadata. */
    MANIFEST,
    /** A folder with Fashion-MNIST's four IDX files. */
    FASHION_MNIST,
    /** The OpenClipart PNG tree; the class is the first {@code classDepth} folder levels. */
    OPENCLIPART
  }
}
