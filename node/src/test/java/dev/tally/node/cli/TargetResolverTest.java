package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.client.TallyClient;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The default target: the local cluster of {@code tally up}, else 127.0.0.1:7400. */
class TargetResolverTest {

  @TempDir
  Path dir;

  private Path write(Path home, String content) throws Exception {
    Path file = home.resolve("local").resolve("endpoints");
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    return file;
  }

  @Test
  void resolve_noEndpointsFile_isTheDefaultClientPortOnThisMachine() {
    TargetResolver resolver = new TargetResolver(Map.of(), dir);

    TargetResolver.Resolved r = resolver.resolve();

    assertThat(r.target()).isEqualTo("127.0.0.1:7400");
    assertThat(r.source()).contains(dir.resolve(".tally/local/endpoints").toString());
  }

  @Test
  void resolve_endpointsFileUnderTheDefaultHome_isTheLocalCluster() throws Exception {
    write(dir.resolve(".tally"), "127.0.0.1:7500,127.0.0.1:7510,127.0.0.1:7520\n");

    assertThat(new TargetResolver(Map.of(), dir).resolve().target())
        .isEqualTo("127.0.0.1:7500,127.0.0.1:7510,127.0.0.1:7520");
  }

  @Test
  void resolve_tallyHomeSet_readsItsEndpointsFileAndToleratesLinesAndSpaces() throws Exception {
    Path home = dir.resolve("elsewhere");
    write(home, " 127.0.0.1:7500 ,\n127.0.0.1:7510\n\n");

    TargetResolver.Resolved r = new TargetResolver(Map.of("TALLY_HOME", home.toString()), dir).resolve();

    assertThat(r.target()).isEqualTo("127.0.0.1:7500,127.0.0.1:7510");
    assertThat(r.source()).isEqualTo("the local cluster in " + home.resolve("local/endpoints"));
  }

  @Test
  void resolve_emptyEndpointsFile_isRefusedNamingTheFile() throws Exception {
    Path file = write(dir.resolve(".tally"), "\n");

    assertThatThrownBy(() -> new TargetResolver(Map.of(), dir).resolve())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(file + " lists no endpoint; start a cluster with 'tally up' or pass --target");
  }

  @Test
  void get_withoutTarget_callsTheLocalClusterInTheEndpointsFile() throws Exception {
    try (TallyNode node = TestNodes.start(dir.resolve("node"));
        TallyClient client = TallyClient.builder().endpoints("127.0.0.1:" + node.clientPort()).build()) {
      client.increment("likes", 3);
      Path home = dir.resolve("home");
      write(home, "127.0.0.1:" + TestNodes.freePort() + ",127.0.0.1:" + node.clientPort() + "\n");
      CommandLine cl = new CommandLine(new GetCommand(new TargetResolver(Map.of("TALLY_HOME", home.toString()), dir)));
      CliErrors.install(cl);

      Cli.Result r = Cli.run(cl, "likes");

      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.out()).isEqualTo("likes  3\n");
    }
  }

  @Test
  void get_withoutTarget_unreachableLocalCluster_saysWhereTheTargetCameFrom() throws Exception {
    String nowhere = "127.0.0.1:" + TestNodes.freePort();
    Path file = write(dir.resolve(".tally"), nowhere);
    CommandLine cl = new CommandLine(new GetCommand(new TargetResolver(Map.of(), dir)));
    CliErrors.install(cl);

    Cli.Result r = Cli.run(cl, "likes", "--timeout", "2s");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: UNAVAILABLE: ")
        .endsWith("; the target " + nowhere + " is the local cluster in " + file + "; pass --target to call another\n");
  }

  @Test
  void get_withoutTarget_badEndpointsFile_isAUsageErrorNamingTheFile() throws Exception {
    Path file = write(dir.resolve(".tally"), "not-an-endpoint\n");
    CommandLine cl = new CommandLine(new GetCommand(new TargetResolver(Map.of(), dir)));
    CliErrors.install(cl);

    Cli.Result r = Cli.run(cl, "likes");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("get: target 'not-an-endpoint' from the local cluster in " + file
        + ": endpoint \"not-an-endpoint\" must be host:port");
  }
}
