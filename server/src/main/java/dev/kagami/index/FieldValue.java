package dev.kagami.index;

/** A metadata value: a string (equality and set filters) or a number (range filters). */
public sealed interface FieldValue {

  /** What a field holds. */
  enum Kind {
    TEXT,
    NUMBER
  }

  record Str(String value) implements FieldValue {}

  record Num(double value) implements FieldValue {}

  static FieldValue of(String s) {
    return new Str(s);
  }

  static FieldValue of(double d) {
    return new Num(d);
  }
}
