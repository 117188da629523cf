package dev.kagami.persistence;

import dev.kagami.dataset.Dataset;
import dev.kagami.dataset.Split;
import dev.kagami.dataset.Splits;
import java.time.Instant;
import java.util.Map;

/** A dataset as kept in the store: its items, the split of each item, and how the splits were made. */
public record StoredDataset(String id, Instant createdAt, Dataset dataset, Splits.Spec spec, Map<String, Split> splits) {
  public StoredDataset {
    splits = Map.copyOf(splits);
  }

  public long count(Split s) {
    return splits.values().stream().filter(x -> x == s).count();
  }
}
