package dev.kagami.dataset;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * An imported dataset: its items, the sorted list of class labels (a label's index is its class id), and
 * what the importer skipped.
 */
public record Dataset(String name, String source, List<DatasetItem> items, List<String> classes, List<Skipped> skipped) {

  public Dataset {
    items = List.copyOf(items);
    classes = List.copyOf(classes);
    skipped = List.copyOf(skipped);
  }

  public static Dataset of(String name, String source, List<DatasetItem> items, List<Skipped> skipped) {
    List<String> classes = new ArrayList<>(new TreeSet<>(items.stream().map(DatasetItem::label).toList()));
    return new Dataset(name, source, items, classes, skipped);
  }

  public int classId(String label) {
    int i = java.util.Collections.binarySearch(classes, label);
    if (i < 0) {
      throw new IllegalArgumentException("unknown class " + label);
    }
    return i;
  }

  public Map<String, Long> classCounts() {
    return items.stream().collect(Collectors.groupingBy(DatasetItem::label, java.util.TreeMap::new, Collectors.counting()));
  }
}
