package dev.kagami.dataset;

/** The split an item belongs to. */
public enum Split {
  TRAIN, VALIDATION, TEST
}
