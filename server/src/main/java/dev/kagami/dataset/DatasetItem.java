package dev.kagami.dataset;

import java.util.List;
import java.util.Map;

/**
 * One image of a dataset: a stable id, its class label, zero or more captions, free-form metadata, and
 * where the image is.
 */
public record DatasetItem(String id, String label, List<String> captions, Map<String, String> metadata,
    ImageSource source) {
  public DatasetItem {
    captions = List.copyOf(captions);
    metadata = Map.copyOf(metadata);
  }
}
