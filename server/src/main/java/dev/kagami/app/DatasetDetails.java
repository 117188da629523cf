package dev.kagami.app;

import dev.kagami.dataset.Skipped;
import dev.kagami.dataset.Split;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A stored dataset as a browser shows it: counts per class and split, skipped inputs, a page of items. */
public record DatasetDetails(String id, String name, String source, Instant createdAt, int images, String splitKind,
    long seed, Map<Split, Long> splits, List<ClassCount> classes, int skippedTotal, List<Skipped> skipped, Page items) {

  public record ClassCount(String label, long images, long train, long validation, long test) {}

  public record Item(String id, String label, Split split, List<String> captions, Map<String, String> metadata) {}

  public record Page(int offset, int limit, int total, List<Item> items) {}
}
