package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.client.TallyClient;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tally watch} against real nodes, run on its own thread and stopped as Ctrl-C would. */
class WatchCommandTest {

  @TempDir
  Path dir;

  private TallyNode a;
  private TallyNode b;
  private RunningWatch running;

  @AfterEach
  void stop() throws Exception {
    if (running != null) {
      running.stop();
    }
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
  }

  /** A watch command running on its own thread, with its output readable while it runs. */
  private static final class RunningWatch {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final WatchCommand command;
    final CompletableFuture<Integer> exit;

    RunningWatch(String... args) {
      CommandLine cl = TallyCommand.commandLine();
      command = cl.getSubcommands().get("watch").getCommand();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
      String[] all = new String[args.length + 1];
      all[0] = "watch";
      System.arraycopy(args, 0, all, 1, args.length);
      exit = CompletableFuture.supplyAsync(() -> cl.execute(all));
    }

    void awaitOut(String text) {
      await().atMost(Duration.ofSeconds(20)).until(() -> out.toString().contains(text) || exit.isDone());
      assertThat(out.toString()).as("stderr: %s", err).contains(text);
    }

    void awaitErr(String text) {
      await().atMost(Duration.ofSeconds(20)).until(() -> err.toString().contains(text) || exit.isDone());
      assertThat(err.toString()).contains(text);
    }

    int stop() throws Exception {
      command.stop();
      return exit.get(20, TimeUnit.SECONDS);
    }
  }

  private static String endpoint(TallyNode node) {
    return "127.0.0.1:" + node.clientPort();
  }

  @Test
  void watch_printsCurrentValuesThenEveryChangeUntilStopped() throws Exception {
    a = TestNodes.start(dir.resolve("a"));
    try (TallyClient client = TallyClient.builder().endpoints(endpoint(a)).build()) {
      client.increment("likes:post-1", 41);

      running = new RunningWatch("likes:post-1", "views", "--target", endpoint(a));
      running.awaitOut("likes:post-1  41\nviews         0\n");
      client.increment("likes:post-1");
      running.awaitOut("likes:post-1  42\n");
      client.decrement("views", 3);
      running.awaitOut("views         -3\n");

      assertThat(running.stop()).isZero();
      running = null;
    }
  }

  @Test
  void watch_json_printsOneObjectPerUpdate() throws Exception {
    a = TestNodes.start(dir.resolve("a"));
    try (TallyClient client = TallyClient.builder().endpoints(endpoint(a)).build()) {
      running = new RunningWatch("views", "--target", endpoint(a), "--json");
      running.awaitOut("{\"key\":\"views\",\"value\":0,\"updated_at\":null}\n");
      client.increment("views", 5);
      running.awaitOut("\"value\":5,");

      assertThat(running.out.toString().lines())
          .allMatch(l -> l.matches("\\{\"key\":\"views\",\"value\":\\d+,\"updated_at\":(null|\"[0-9T:.-]+Z\")}"));
      assertThat(running.err.toString()).isEqualTo("watch: connected to " + endpoint(a) + "; Ctrl-C stops\n");
    }
  }

  @Test
  void watch_nodeStops_saysSoOnStderrAndCarriesOnWithTheOtherNode() throws Exception {
    a = TestNodes.start(dir.resolve("a"));
    b = TestNodes.start(dir.resolve("b"));
    running = new RunningWatch("likes", "--target", endpoint(a) + "," + endpoint(b));
    running.awaitErr("watch: connected to ");
    running.awaitOut("likes  0\n");
    TallyNode lost = running.err.toString().contains("connected to " + endpoint(a) + ";") ? a : b;
    TallyNode survivor = lost == a ? b : a;
    String lostEndpoint = endpoint(lost);

    lost.close();

    running.awaitErr("watch: lost " + lostEndpoint + " (UNAVAILABLE: the node is shutting down; watch another node); reconnecting\n");
    running.awaitErr("watch: reconnected to " + endpoint(survivor) + "; current values follow\n");
    try (TallyClient client = TallyClient.builder().endpoints(endpoint(survivor)).build()) {
      client.increment("likes", 7);
    }
    running.awaitOut("likes  7\n");
    assertThat(running.stop()).isZero();
    running = null;
  }

  @Test
  void watch_unreachableTarget_saysItIsWaitingThenGivesUpAfterTheTimeoutWithExit1() throws Exception {
    String nowhere = "127.0.0.1:" + TestNodes.freePort();

    Cli.Result r = Cli.run("watch", "likes", "--target", nowhere, "--timeout", "4s");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(2);
    assertThat(r.err()).startsWith("watch: waiting for a node at " + nowhere + " (gives up after 4s)\n"
        + "error: UNAVAILABLE: watch found no endpoint for PT4S");
  }

  @Test
  void watch_badKey_failsAtOnceWithTheNodesMessage() {
    Cli.Result r = Cli.run("watch", "likes", "k".repeat(4097), "--target", "127.0.0.1:" + TestNodes.freePort());

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: keys[1] is 4097 bytes; the limit is 4096 bytes of UTF-8\n");
  }
}
