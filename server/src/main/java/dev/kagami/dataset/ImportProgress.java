package dev.kagami.dataset;

/** Receives progress of a long import: {@code done} of {@code total} images checked. */
@FunctionalInterface
public interface ImportProgress {
  void update(String stage, long done, long total);

  ImportProgress NONE = (s, d, t) -> { };
}
