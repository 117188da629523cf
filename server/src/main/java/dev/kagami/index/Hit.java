package dev.kagami.index;

import java.util.Map;

/** A search result: the item's id, its similarity to the query (cosine), its metadata and image reference. */
public record Hit(String id, float score, Map<String, FieldValue> metadata, String imageRef) {}
