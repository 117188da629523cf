package dev.kagami.index;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * One indexed image: its id, its unit-length embedding, metadata, and a reference to the image (a path or
 * content-addressed file) so the collection can be rebuilt for another model.
 */
public record IndexedItem(String id, float[] vector, Map<String, FieldValue> metadata, String imageRef) {

  public IndexedItem {
    Objects.requireNonNull(id, "id");
    metadata = Map.copyOf(metadata);
    imageRef = imageRef == null ? "" : imageRef;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IndexedItem other && id.equals(other.id) && Arrays.equals(vector, other.vector)
        && metadata.equals(other.metadata) && imageRef.equals(other.imageRef);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, Arrays.hashCode(vector), metadata, imageRef);
  }

  @Override
  public String toString() {
    return "IndexedItem[" + id + ", dim " + vector.length + ", " + metadata + ", " + imageRef + "]";
  }
}
