package dev.tally.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** auth-tokens, metrics-host and metrics-auth as the loader reads them. */
class AuthSettingsTest {

  static NodeConfig load(String... pairs) {
    Map<String, String> flags = new HashMap<>();
    flags.put("name", "n1");
    flags.put("data-dir", "/tmp/x");
    for (int i = 0; i < pairs.length; i += 2) {
      flags.put(pairs[i], pairs[i + 1]);
    }
    return ConfigLoader.load(flags, Map.of()).config();
  }

  @Test
  void defaults_authOff_metricsOnLoopbackAndOpen() {
    NodeConfig c = load();
    assertThat(c.authTokens()).isNull();
    assertThat(c.metricsHost()).isEqualTo("127.0.0.1");
    assertThat(c.metricsAuth()).isEqualTo(MetricsAuth.NONE);
    assertThat(c.asText()).containsEntry(ConfigKey.AUTH_TOKENS, "").containsEntry(ConfigKey.METRICS_HOST, "127.0.0.1")
        .containsEntry(ConfigKey.METRICS_AUTH, "none");
  }

  @Test
  void set_byFlagAndEnvironment() {
    NodeConfig c = load("auth-tokens", "/etc/tally/tokens.yaml", "metrics-host", "0.0.0.0", "metrics-auth", "TOKEN");
    assertThat(c.authTokens()).isEqualTo(Path.of("/etc/tally/tokens.yaml"));
    assertThat(c.metricsHost()).isEqualTo("0.0.0.0");
    assertThat(c.metricsAuth()).isEqualTo(MetricsAuth.TOKEN);
    NodeConfig e = ConfigLoader.load(Map.of("name", "n1", "data-dir", "/tmp/x"),
        Map.of("TALLY_AUTH_TOKENS", "/t.yaml", "TALLY_METRICS_AUTH", "token")).config();
    assertThat(e.authTokens()).isEqualTo(Path.of("/t.yaml"));
    assertThat(e.metricsAuth()).isEqualTo(MetricsAuth.TOKEN);
  }

  @Test
  void metricsAuthToken_needsAuthTokens() {
    assertThatThrownBy(() -> load("metrics-auth", "token"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("metrics-auth 'token' needs auth-tokens");
    assertThatThrownBy(() -> load("metrics-auth", "basic"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("invalid metrics-auth 'basic': must be none or token");
    assertThatThrownBy(() -> load("metrics-host", "a b"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("metrics-host");
  }
}
