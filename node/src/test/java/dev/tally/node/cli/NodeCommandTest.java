package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.time.Clock;
import dev.tally.node.config.ConfigKey;
import dev.tally.node.config.Durability;
import dev.tally.node.storage.RocksStateStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class NodeCommandTest {

  @TempDir
  Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = TallyCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void tallyHelp_listsTheNodeCommand() {
    assertThat(run("--help")).isZero();

    assertThat(out.toString()).contains("Usage: tally", "node", "Runs a Tally node");
  }

  @Test
  void tallyWithoutCommand_isAUsageError() {
    assertThat(run()).isEqualTo(2);

    assertThat(err.toString()).contains("missing command");
  }

  @Test
  void nodeHelp_describesEverySettingWithItsEnvAndDefault() {
    assertThat(run("node", "--help")).isZero();

    String help = out.toString().replaceAll("\\s+", " ");
    assertThat(help).contains("--config=FILE", "TALLY_CONFIG");
    for (ConfigKey key : ConfigKey.values()) {
      assertThat(help).contains(key.flag() + "=" + key.paramLabel(), "Env: " + key.envName(),
          "Default: " + key.defaultText());
    }
  }

  @Test
  void node_invalidSetting_exitsWith2NamingIt() {
    assertThat(run("node", "--data-dir", dir.toString(), "--port", "abc")).isEqualTo(2);

    assertThat(err.toString()).contains("tally node: invalid port 'abc'", "flag --port");
  }

  @Test
  void node_withoutDataDir_exitsWith2SayingItIsRequired() {
    assertThat(run("node", "--port", "0")).isEqualTo(2);

    assertThat(err.toString()).contains("data-dir is required");
  }

  @Test
  void node_dataDirInUse_exitsWith1Clearly() {
    try (RocksStateStore holder = RocksStateStore.open(dir, "tally", Durability.SYNC, Clock.SYSTEM)) {
      assertThat(run("node", "--data-dir", dir.toString(), "--port", "0", "--metrics-port", "0")).isEqualTo(1);

      assertThat(err.toString()).contains("tally node: data dir", "is in use by another tally node");
      assertThat(holder.replicaId()).isNotZero();
    }
  }

  @Test
  void node_unknownFlag_isAUsageError() {
    assertThat(run("node", "--data-dir", dir.toString(), "--prot", "1")).isEqualTo(2);

    assertThat(err.toString()).contains("--prot");
  }
}
