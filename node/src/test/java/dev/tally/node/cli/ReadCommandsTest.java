package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.client.CounterChange;
import dev.tally.client.TallyClient;
import dev.tally.gossip.crdt.ReplicaIds;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.FaultyFront;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally get} and {@code tally status} against a real node. */
class ReadCommandsTest {

  @TempDir
  static Path dir;

  private static TallyNode node;
  private static String target;
  private static TallyClient client;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir);
    target = "127.0.0.1:" + node.clientPort();
    client = TallyClient.builder().endpoints(target).build();
    client.incrementMany(List.of(CounterChange.increment("get:a", 42), CounterChange.decrement("get:longer-key", 7)));
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void get_oneKey_printsKeyAndValue() {
    Cli.Result r = Cli.run("get", "get:a", "--target", target);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("get:a  42\n");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void get_severalKeys_printsThemInOrderWithValuesAligned() {
    Cli.Result r = Cli.run("get", "get:longer-key", "get:a", "get:never", "--target", target, "--consistency", "quorum");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo(
        "get:longer-key  -7\n"
            + "get:a           42\n"
            + "get:never       0\n");
  }

  @Test
  void get_json_printsOneObjectPerKeyWithNullTimeForKeysNeverWritten() {
    Cli.Result r = Cli.run("get", "get:a", "get:never", "--target", target, "--json");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).matches("\\{\"key\":\"get:a\",\"value\":42,\"updated_at\":\"[0-9T:.-]+Z\"}");
    assertThat(lines.get(1)).isEqualTo("{\"key\":\"get:never\",\"value\":0,\"updated_at\":null}");
  }

  @Test
  void get_moreKeysThanOneBatch_readsThemAllInOrder() {
    List<String> args = new ArrayList<>(List.of("get", "--target", target));
    for (int i = 0; i < 2500; i++) {
      args.add(i == 1700 ? "get:a" : "get:bulk-" + i);
    }

    Cli.Result r = Cli.run(args.toArray(String[]::new));

    assertThat(r.exitCode()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(2500);
    assertThat(lines.get(0)).matches("get:bulk-0 +0");
    assertThat(lines.get(1700)).matches("get:a +42");
    assertThat(lines.get(2499)).matches("get:bulk-2499 +0");
  }

  @Test
  void get_oneBadKeyAmongSeveral_failsNamingItAndPrintsNothing() {
    Cli.Result r = Cli.run("get", "get:a", "", "--target", target);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: keys[1] is empty; a key is 1..4096 bytes of UTF-8\n");
  }

  @Test
  void get_withoutKey_isAUsageError() {
    Cli.Result r = Cli.run("get", "--target", target);

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("tally get: Missing required parameter: 'KEY'\nTry 'tally get --help' for usage.\n");
  }

  @Test
  void get_unreachableTarget_failsWithUnavailableAndExit1() {
    Cli.Result r = Cli.run("get", "get:a", "--target", "127.0.0.1:" + TestNodes.freePort(), "--timeout", "2s");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("error: UNAVAILABLE: ").contains("Connection refused");
  }

  @Test
  void get_noAnswerWithinTheTimeout_failsWithDeadlineExceededNamingTheTimeout() {
    try (FaultyFront front = FaultyFront.start(node)) {
      front.arm(CounterServiceGrpc.getGetMethod(), FaultyFront.Fault.DROP_RESPONSE, Integer.MAX_VALUE);

      Cli.Result r = Cli.run("get", "get:a", "--target", front.endpoint(), "--timeout", "300ms");

      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines()).hasSize(1);
      assertThat(r.err()).startsWith("error: DEADLINE_EXCEEDED: ")
          .endsWith("(1 attempt, last on " + front.endpoint() + "); no answer within 300ms (--timeout)\n");
    }
  }

  @Test
  void errorLines_withLineBreaksFromTheServer_areJoinedIntoOne() {
    assertThat(ClientCommand.oneLine("error: UNIMPLEMENTED: HTTP status code 404\r\n  missing content-type\ntrailers: x\n"))
        .isEqualTo("error: UNIMPLEMENTED: HTTP status code 404; missing content-type; trailers: x");
  }

  @Test
  void status_printsTheMembersTable() {
    Cli.Result r = Cli.run("status", "--target", target);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    String name = node.config().name();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).isEqualTo("cluster tally, as seen by " + name + " (1 member)");
    assertThat(lines.get(1)).matches("NAME +DC +STATE +REPLICA ID +CLIENT ADDRESS +LAG +PENDING +NEEDS REPAIR");
    assertThat(lines.get(2)).matches(name + " \\* +dc1 +alive +" + ReplicaIds.format(node.replicaId())
        + " +" + target.replace(".", "\\.") + " +0ms +0 +no");
    // Columns line up: each value starts where its header does.
    assertThat(lines.get(2).indexOf("alive")).isEqualTo(lines.get(1).indexOf("STATE"));
    assertThat(lines.get(2).indexOf(target)).isEqualTo(lines.get(1).indexOf("CLIENT ADDRESS"));
    assertThat(lines.get(3)).isEqualTo("* the node that answered");
  }

  @Test
  void status_json_printsTheStatusAsOneObject() {
    Cli.Result r = Cli.run("status", "--target", target, "--json");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    String name = node.config().name();
    assertThat(r.out()).isEqualTo("{\"cluster_id\":\"tally\",\"node\":\"" + name + "\",\"members\":[{"
        + "\"name\":\"" + name + "\",\"dc\":\"dc1\",\"state\":\"ALIVE\","
        + "\"replica_id\":\"" + ReplicaIds.format(node.replicaId()) + "\","
        + "\"client_address\":\"" + target + "\",\"peer_address\":\"127.0.0.1:" + node.config().peerPort() + "\","
        + "\"self\":true,\"replication_lag_ms\":0,\"pending_keys\":0,\"needs_repair\":false}],"
        + "\"failover_pending\":0}\n");
  }

  @Test
  void status_unreachableTarget_failsWithExit1() {
    Cli.Result r = Cli.run("status", "--target", "127.0.0.1:" + TestNodes.freePort(), "--timeout", "2s");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: UNAVAILABLE: ");
  }

  @Test
  void status_consistencyFlag_isAUsageErrorBecauseStatusHasNone() {
    Cli.Result r = Cli.run("status", "--target", target, "--consistency", "quorum");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("tally status: Unknown options: '--consistency', 'quorum'");
  }
}
