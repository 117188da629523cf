package dev.kagami.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class WaitCalibrationTest {

  private static final long MS = 1_000_000L;

  @Test
  void starts_at_one_and_never_shortens_an_estimate() {
    WaitCalibration c = new WaitCalibration();
    assertThat(c.factor()).isEqualTo(1.0);
    for (int i = 0; i < 64; i++) {
      c.add(100 * MS, 40 * MS); // calls ran faster than expected
    }
    assertThat(c.factor()).isEqualTo(1.0);
    assertThat(c.calibrate(100 * MS)).isEqualTo(100 * MS);
  }

  @Test
  void learns_the_high_percentile_of_the_shortfall_and_follows_a_change() {
    WaitCalibration c = new WaitCalibration();
    Random r = new Random(20261203L);
    // 90 % of calls on time, 10 % take twice as long as expected: p95 is the slow ones
    for (int i = 0; i < WaitCalibration.WINDOW; i++) {
      c.add(50 * MS, (r.nextInt(10) == 0 ? 100 : 50) * MS);
    }
    assertThat(c.factor()).isEqualTo(2.0);
    assertThat(c.calibrate(100 * MS)).isEqualTo(200 * MS);
    // the estimates became right: the window forgets the old shortfall
    for (int i = 0; i < WaitCalibration.WINDOW; i++) {
      c.add(50 * MS, 50 * MS);
    }
    assertThat(c.factor()).isEqualTo(1.0);
  }

  @Test
  void ignores_calls_expected_to_be_instant_and_caps_the_factor() {
    WaitCalibration c = new WaitCalibration();
    for (int i = 0; i < 64; i++) {
      c.add(WaitCalibration.MIN_EXPECTED_NANOS - 1, 1000 * MS); // idle server: the ratio is noise
    }
    assertThat(c.factor()).isEqualTo(1.0);
    for (int i = 0; i < 64; i++) {
      c.add(10 * MS, 10_000 * MS); // a stall of seconds
    }
    assertThat(c.factor()).isEqualTo(WaitCalibration.MAX_FACTOR);
  }
}
