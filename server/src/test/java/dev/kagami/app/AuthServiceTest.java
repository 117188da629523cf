package dev.kagami.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kagami.app.AuthService.Start;
import dev.kagami.config.KagamiConfig.Auth.Mode;
import org.junit.jupiter.api.Test;

class AuthServiceTest {

  @Test
  void protected_mode_runs_without_keys_only_on_loopback() {
    assertThat(AuthService.decide(0, Mode.AUTO, true)).isEqualTo(Start.OFF_ON_LOOPBACK);
    assertThat(AuthService.decide(0, Mode.AUTO, false)).isEqualTo(Start.GENERATE_ADMIN_KEY);
    assertThat(AuthService.decide(0, Mode.REQUIRED, true)).isEqualTo(Start.GENERATE_ADMIN_KEY);
    assertThat(AuthService.decide(2, Mode.AUTO, true)).isEqualTo(Start.KEYS_REQUIRED);
    assertThat(AuthService.decide(1, Mode.REQUIRED, false)).isEqualTo(Start.KEYS_REQUIRED);
  }

  @Test
  void only_loopback_addresses_count_as_loopback() {
    assertThat(AuthService.loopback("localhost")).isTrue();
    assertThat(AuthService.loopback("127.0.0.1")).isTrue();
    assertThat(AuthService.loopback("::1")).isTrue();
    assertThat(AuthService.loopback("0.0.0.0")).isFalse();
    assertThat(AuthService.loopback("no-such-host.invalid")).isFalse();
  }

  @Test
  void key_names_are_plain() {
    assertThat(AuthService.NAME.matcher("team-search.prod_1").matches()).isTrue();
    assertThat(AuthService.NAME.matcher("-x").matches()).isFalse();
    assertThat(AuthService.NAME.matcher("a b").matches()).isFalse();
    assertThat(AuthService.NAME.matcher("x".repeat(129)).matches()).isFalse();
  }
}
