package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.node.config.HostPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultTargetsTest {
  @TempDir
  Path home;

  @Test
  void resolve_readsTheLocalClusterEndpointsUnderTallyHome() throws Exception {
    Files.createDirectories(home.resolve("local"));
    Files.writeString(home.resolve("local/endpoints"), "127.0.0.1:7400,127.0.0.1:7410\n");

    String text = DefaultTargets.resolve(Map.of("TALLY_HOME", home.toString()), "/nonexistent");

    assertThat(DefaultTargets.parse(text)).containsExactly(new HostPort("127.0.0.1", 7400), new HostPort("127.0.0.1", 7410));
  }

  @Test
  void resolve_withoutTallyHome_looksInTheUsersDotTally() throws Exception {
    Files.createDirectories(home.resolve(".tally/local"));
    Files.writeString(home.resolve(".tally/local/endpoints"), "127.0.0.1:7500");

    assertThat(DefaultTargets.resolve(Map.of(), home.toString())).isEqualTo("127.0.0.1:7500");
  }

  @Test
  void resolve_withoutALocalCluster_fallsBackToThePortOfOneLocalNode() {
    assertThat(DefaultTargets.resolve(Map.of("TALLY_HOME", home.toString()), home.toString()))
        .isEqualTo("127.0.0.1:7400");
  }

  @Test
  void parse_namesTheBadEntry() {
    assertThatThrownBy(() -> DefaultTargets.parse("127.0.0.1:7400,nope")).hasMessageContaining("nope");
    assertThatThrownBy(() -> DefaultTargets.parse(" , ")).hasMessageContaining("no HOST:PORT");
  }
}
