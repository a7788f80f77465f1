package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.client.TallyClient;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.FaultyFront;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** {@code tally incr} and {@code tally decr} against a real node. */
class WriteCommandsTest {

  @TempDir
  static Path dir;

  private static TallyNode node;
  private static String target;
  private static TallyClient client;
  private String key;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir);
    target = "127.0.0.1:" + node.clientPort();
    client = TallyClient.builder().endpoints(target).build();
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

  @BeforeEach
  void uniqueKey(TestInfo test) {
    key = "likes:" + test.getTestMethod().orElseThrow().getName();
  }

  @Test
  void incr_withoutAmount_addsOneAndPrintsKeyAndValue() {
    Cli.Result r = Cli.run("incr", key, "--target", target);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo(key + "  1\n");
    assertThat(r.err()).isEmpty();
    assertThat(client.get(key).value()).isEqualTo(1);
  }

  @Test
  void incr_json_printsOneObjectWithValueTimeAndRequestId() {
    client.increment(key, 2);

    Cli.Result r = Cli.run("incr", key, "40", "--target", target, "--json");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).matches("\\{\"key\":\"" + Pattern.quote(key) + "\",\"value\":42,"
        + "\"updated_at\":\"\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\",\"request_id\":\"[0-9a-f-]{36}\"}\n");
  }

  @Test
  void decr_subtractsAndMayGoNegative() {
    client.increment(key, 2);

    Cli.Result one = Cli.run("decr", key, "--target", target);
    Cli.Result five = Cli.run("decr", key, "5", "--target", target, "--consistency", "QUORUM");

    assertThat(one.out()).isEqualTo(key + "  1\n");
    assertThat(five.exitCode()).as(five.toString()).isZero();
    assertThat(five.out()).isEqualTo(key + "  -4\n");
    assertThat(client.get(key).value()).isEqualTo(-4);
  }

  @Test
  void incr_sameRequestIdTwice_appliesOnceAndPrintsTheFirstResultAgain() {
    Cli.Result first = Cli.run("incr", key, "5", "--target", target, "--request-id", "cli-" + key);
    Cli.Result again = Cli.run("incr", key, "5", "--target", target, "--request-id", "cli-" + key, "--json");

    assertThat(first.out()).isEqualTo(key + "  5\n");
    assertThat(again.out()).contains("\"value\":5,", "\"request_id\":\"cli-" + key + "\"");
    assertThat(client.get(key).value()).isEqualTo(5);
  }

  @Test
  void incr_emptyKey_failsWithTheNodesMessageAndExit1() {
    Cli.Result r = Cli.run("incr", "", "--target", target);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: key is empty; a key is 1..4096 bytes of UTF-8\n");
  }

  @Test
  void incr_oversizedKey_failsWithTheNodesMessageAndExit1() {
    Cli.Result r = Cli.run("incr", "k".repeat(5000), "--target", target);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: key is 5000 bytes; the limit is 4096 bytes of UTF-8\n");
  }

  @Test
  void incr_amountZero_failsAndAppliesNothing() {
    Cli.Result r = Cli.run("incr", key, "0", "--target", target);

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: INVALID_ARGUMENT: amount must be >= 1 when given (absent means 1), got 0\n");
    assertThat(client.get(key).value()).isZero();
  }

  @Test
  void negativeAmount_failsPointingToTheOtherCommand() {
    Cli.Result incr = Cli.run("incr", key, "-5", "--target", target);
    Cli.Result decr = Cli.run("decr", key, "-5", "--target", target);

    assertThat(incr.exitCode()).isEqualTo(1);
    assertThat(incr.err()).isEqualTo("error: INVALID_ARGUMENT: amount must be >= 1 when given (absent means 1), "
        + "got -5 (to subtract 5, use: tally decr KEY 5)\n");
    assertThat(decr.exitCode()).isEqualTo(1);
    assertThat(decr.err()).endsWith("got -5 (to add 5, use: tally incr KEY 5)\n");
    assertThat(client.get(key).value()).isZero();
  }

  @Test
  void incr_amountNotANumber_isAUsageError() {
    Cli.Result r = Cli.run("incr", key, "ten", "--target", target);

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("tally incr: Invalid value for positional parameter at index 1 (AMOUNT): "
        + "'ten' is not a long\nTry 'tally incr --help' for usage.\n");
  }

  @Test
  void incr_wrongFlag_printsAShortUsageErrorWithoutStackTrace() {
    Cli.Result r = Cli.run("incr", key, "--amount", "3", "--target", target);

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("tally incr: Unknown option: '--amount'")
        .endsWith("Try 'tally incr --help' for usage.\n")
        .doesNotContain("Usage:", "Exception", "\tat ");
    assertThat(r.err().lines()).hasSizeLessThanOrEqualTo(3);
    assertThat(client.get(key).value()).isZero();
  }

  @Test
  void incr_badTargetOrConsistencyOrRequestId_isAUsageErrorNamingTheOption() {
    Cli.Result target1 = Cli.run("incr", key, "--target", "localhost");
    Cli.Result consistency = Cli.run("incr", key, "--target", target, "--consistency", "strong");
    Cli.Result requestId = Cli.run("incr", key, "--target", target, "--request-id", "r".repeat(129));
    Cli.Result timeout = Cli.run("incr", key, "--target", target, "--timeout", "5");

    assertThat(target1.exitCode()).isEqualTo(2);
    assertThat(target1.err()).startsWith("tally incr: Invalid value for option '--target': endpoint \"localhost\" must be host:port");
    assertThat(consistency.exitCode()).isEqualTo(2);
    assertThat(consistency.err()).startsWith("tally incr: Invalid value for option '--consistency': 'strong' is not a consistency; use local or quorum");
    assertThat(requestId.exitCode()).isEqualTo(2);
    assertThat(requestId.err()).startsWith("tally incr: Invalid value for option '--request-id': request_id must be 1..128 bytes of UTF-8, got 129");
    assertThat(timeout.exitCode()).isEqualTo(2);
    assertThat(timeout.err()).startsWith("tally incr: Invalid value for option '--timeout': '5' is not a duration");
    assertThat(client.get(key).value()).isZero();
  }

  @Test
  void incr_unreachableTarget_failsWithUnavailableAndExit1() {
    // Refused connections fail each attempt at once, so the 2 s timeout is not reached.
    String nowhere = "127.0.0.1:" + TestNodes.freePort();

    Cli.Result r = Cli.run("incr", key, "--target", nowhere, "--timeout", "2s");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("error: UNAVAILABLE: ").contains("Connection refused", "last on " + nowhere);
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void incr_answerLostOnEveryAttempt_exits3WithARequestIdThatRetriesSafely() {
    try (FaultyFront front = FaultyFront.start(node)) {
      front.arm(CounterServiceGrpc.getIncrementMethod(), FaultyFront.Fault.FAIL_RESPONSE, Integer.MAX_VALUE);

      Cli.Result lost = Cli.run("incr", key, "5", "--target", front.endpoint());

      assertThat(lost.exitCode()).as(lost.toString()).isEqualTo(3);
      assertThat(lost.out()).isEmpty();
      assertThat(lost.err().lines()).hasSize(1);
      // Then the nodes it may have reached: the node's name, or '*' if it sent none.
      Matcher id = Pattern.compile("rerun the command with --request-id (\\S+) --prior-nodes \\S+\n$").matcher(lost.err());
      assertThat(id.find()).as(lost.err()).isTrue();
      assertThat(lost.err()).startsWith("error: UNAVAILABLE: ").contains("may or may not have been applied");

      Cli.Result retry = Cli.run("incr", key, "5", "--target", target, "--request-id", id.group(1));

      assertThat(retry.exitCode()).as(retry.toString()).isZero();
      assertThat(retry.out()).isEqualTo(key + "  5\n");
      assertThat(client.get(key).value()).as("applied exactly once").isEqualTo(5);
    }
  }
}
