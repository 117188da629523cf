package dev.kagami.dataset;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Deterministic subsets of a dataset. */
public final class Subsample {

  private Subsample() {}

  /** At most {@code max} items, taken round-robin over classes from seeded per-class shuffles. */
  public static Dataset evenly(Dataset d, int max, long seed) {
    return Dataset.of(d.name(), d.source(), evenly(d.items(), max, seed), d.skipped());
  }

  /** At most {@code max} of {@code items}, taken round-robin over classes from seeded per-class shuffles. */
  public static List<DatasetItem> evenly(List<DatasetItem> items, int max, long seed) {
    Map<String, List<DatasetItem>> byClass = new TreeMap<>();
    items.forEach(it -> byClass.computeIfAbsent(it.label(), k -> new ArrayList<>()).add(it));
    List<List<DatasetItem>> lists = new ArrayList<>();
    for (Map.Entry<String, List<DatasetItem>> e : byClass.entrySet()) {
      List<DatasetItem> l = new ArrayList<>(e.getValue());
      Collections.shuffle(l, new Random(seed * 31 + e.getKey().hashCode()));
      lists.add(l);
    }
    List<DatasetItem> out = new ArrayList<>();
    for (int round = 0; out.size() < max; round++) {
      boolean any = false;
      for (List<DatasetItem> l : lists) {
        if (round < l.size() && out.size() < max) {
          out.add(l.get(round));
          any = true;
        }
      }
      if (!any) {
        break;
      }
    }
    return out;
  }
}
