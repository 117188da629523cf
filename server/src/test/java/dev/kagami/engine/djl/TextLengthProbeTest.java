package dev.kagami.engine.djl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.model.ModelManifest;
import org.junit.jupiter.api.Test;

/** The decision whether a text tower may run on short sequences, on fake towers whose behaviour is known. */
class TextLengthProbeTest {

  static final int CONTEXT = 16;
  static final ModelManifest.TextSpec SPEC = new ModelManifest.TextSpec(CONTEXT, 98, 99, 0, true);

  /** A causal "tower": each row's embedding depends only on the ids up to its highest id. */
  static float[][] causal(long[] ids, int n, int length) {
    float[][] out = new float[n][4];
    for (int r = 0; r < n; r++) {
      int at = 0;
      for (int i = 0; i < length; i++) {
        if (ids[r * length + i] > ids[r * length + at]) {
          at = i;
        }
      }
      for (int i = 0; i <= at; i++) {
        out[r][(int) (ids[r * length + i] % 4)] += 1 + i;
      }
    }
    return out;
  }

  @Test
  void a_causal_tower_that_takes_any_length_runs_short() {
    assertThat(TextLengthProbe.allowsShortSequences(TextLengthProbeTest::causal, SPEC)).isTrue();
  }

  @Test
  void a_tower_that_looks_past_the_end_of_text_keeps_the_full_context() {
    TextLengthProbe.TextTower bidirectional = (ids, n, length) -> {
      float[][] out = causal(ids, n, length);
      for (int r = 0; r < n; r++) {
        out[r][0] += length; // the padding changes the result, as in a tower without a causal mask
      }
      return out;
    };
    assertThat(TextLengthProbe.allowsShortSequences(bidirectional, SPEC)).isFalse();
  }

  @Test
  void a_tower_with_a_fixed_sequence_axis_keeps_the_full_context() {
    TextLengthProbe.TextTower fixed = (ids, n, length) -> {
      if (length != CONTEXT) {
        throw new IllegalStateException("Got invalid dimensions for input: input_ids for the following indices index: 1 Got: "
            + length + " Expected: " + CONTEXT);
      }
      return causal(ids, n, length);
    };
    assertThat(TextLengthProbe.allowsShortSequences(fixed, SPEC)).isFalse();
  }

  @Test
  void the_needed_length_ends_at_the_longest_rows_end_of_text() {
    long[] ids = new long[3 * CONTEXT];
    // row 0: SOT EOT pad...; row 1: SOT a b c EOT; row 2: SOT a EOT, padded with EOT (as kagami-clip pads)
    ids[0] = 98;
    ids[1] = 99;
    long[] row1 = {98, 5, 6, 7, 99};
    System.arraycopy(row1, 0, ids, CONTEXT, row1.length);
    java.util.Arrays.fill(ids, 2 * CONTEXT, 3 * CONTEXT, 99);
    ids[2 * CONTEXT] = 98;
    ids[2 * CONTEXT + 1] = 5;
    assertThat(TextLengthProbe.neededLength(ids, 1, CONTEXT)).isEqualTo(2);
    assertThat(TextLengthProbe.neededLength(ids, 2, CONTEXT)).isEqualTo(5);
    assertThat(TextLengthProbe.neededLength(java.util.Arrays.copyOfRange(ids, 2 * CONTEXT, 3 * CONTEXT), 1, CONTEXT))
        .isEqualTo(3);
    long[] cut = TextLengthProbe.cut(ids, 3, CONTEXT, 5);
    assertThat(cut).containsExactly(98, 99, 0, 0, 0, 98, 5, 6, 7, 99, 98, 5, 99, 99, 99);
  }
}
