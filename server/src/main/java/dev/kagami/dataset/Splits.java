package dev.kagami.dataset;

import dev.kagami.error.KagamiException.InvalidInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Deterministic, seeded train / validation / test assignments. The same dataset, seed and fractions give
 * the same splits on every machine: items are ordered by id before a seeded shuffle.
 */
public final class Splits {

  /** Fractions of train, validation and test; they must add up to 1. */
  public record Fractions(double train, double validation, double test) {
    public Fractions {
      if (train < 0 || validation < 0 || test < 0 || Math.abs(train + validation + test - 1.0) > 1e-9) {
        throw new InvalidInput("split fractions must be >= 0 and add up to 1: " + train + ", " + validation + ", " + test);
      }
    }
  }

  /** How a dataset is split: {@code stratified} or {@code class-disjoint}, a seed and the fractions. */
  public record Spec(String kind, long seed, Fractions fractions) {
    public Spec {
      if (!kind.equals("stratified") && !kind.equals("class-disjoint")) {
        throw new InvalidInput("split kind must be stratified or class-disjoint, is '" + kind + "'");
      }
    }

    public Map<String, Split> assign(Dataset d) {
      return kind.equals("stratified") ? stratified(d, seed, fractions) : classDisjoint(d, seed, fractions);
    }
  }

  private Splits() {}

  /**
   * Stratified: each class is shuffled (seeded by the seed and the class) and cut by the fractions, so each
   * split has the class proportions of the whole. Rounding goes to test, then validation.
   */
  public static Map<String, Split> stratified(Dataset d, long seed, Fractions f) {
    Map<String, List<String>> byClass = new TreeMap<>();
    for (DatasetItem it : d.items()) {
      byClass.computeIfAbsent(it.label(), k -> new ArrayList<>()).add(it.id());
    }
    Map<String, Split> out = new HashMap<>();
    for (Map.Entry<String, List<String>> e : byClass.entrySet()) {
      List<String> ids = e.getValue();
      Collections.sort(ids);
      Collections.shuffle(ids, new Random(seed * 31 + e.getKey().hashCode()));
      int n = ids.size();
      int nTrain = (int) Math.floor(n * f.train());
      int nVal = (int) Math.floor(n * f.validation());
      for (int i = 0; i < n; i++) {
        out.put(ids.get(i), i < nTrain ? Split.TRAIN : i < nTrain + nVal ? Split.VALIDATION : Split.TEST);
      }
    }
    return out;
  }

  /**
   * Class-disjoint (as CUB is used for retrieval): whole classes go to one split, by a seeded shuffle of the
   * class list cut by the fractions.
   */
  public static Map<String, Split> classDisjoint(Dataset d, long seed, Fractions f) {
    List<String> classes = new ArrayList<>(d.classes());
    Collections.shuffle(classes, new Random(seed));
    int n = classes.size();
    int nTrain = (int) Math.floor(n * f.train());
    int nVal = (int) Math.floor(n * f.validation());
    Map<String, Split> classSplit = new HashMap<>();
    for (int i = 0; i < n; i++) {
      classSplit.put(classes.get(i), i < nTrain ? Split.TRAIN : i < nTrain + nVal ? Split.VALIDATION : Split.TEST);
    }
    Map<String, Split> out = new HashMap<>();
    for (DatasetItem it : d.items()) {
      out.put(it.id(), classSplit.get(it.label()));
    }
    return out;
  }

  /** Items of {@code d} in split {@code s}, in dataset order. */
  public static List<DatasetItem> select(Dataset d, Map<String, Split> splits, Split s) {
    return d.items().stream().filter(it -> splits.get(it.id()) == s).toList();
  }
}
