package dev.tally.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.IncrementRequest;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code tally incr} and {@code tally decr} retrying on the next target (issue 12): the same
 * request id, prior_nodes naming the node that failed, one stderr line per move, and
 * {@code --prior-nodes} for a retry by hand. Two stand-in nodes on loopback ({@link FakeNode}); a
 * new command's client sends its first attempt to the first target.
 */
class WriteRetryCommandsTest {

  private final FakeNode n1 = FakeNode.start("n1");
  private final FakeNode n2 = FakeNode.start("n2");
  private final String both = n1.endpoint() + "," + n2.endpoint();

  @AfterEach
  void stop() {
    n1.close();
    n2.close();
  }

  @Test
  void incr_lostAnswerOnTheFirstTarget_retriesOnTheNextWithTheSameIdAndPriorNodes() {
    n1.loseNext(1);

    Cli.Result r = Cli.run("incr", "likes", "3", "--target", both);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("likes  3\n");
    assertThat(r.err()).isEqualTo("node n1 (" + n1.endpoint() + ") failed: UNAVAILABLE: reply lost; retrying on "
        + n2.endpoint() + " with the same request id and prior_nodes [n1]\n");
    IncrementRequest first = n1.increments().get(0);
    IncrementRequest retry = n2.increments().get(0);
    assertThat(first.getRequestId()).hasSize(36);
    assertThat(retry.getRequestId()).isEqualTo(first.getRequestId());
    assertThat(first.getPriorNodesList()).isEmpty();
    assertThat(retry.getPriorNodesList()).containsExactly("n1");
    assertThat(retry.getAmount()).isEqualTo(3);
  }

  @Test
  void incr_abortedBecauseAnotherNodeHandlesTheId_retriesElsewhereListingThatNode() {
    n1.abortNext("n2");

    Cli.Result r = Cli.run("incr", "likes", "--target", both, "--request-id", "r-9");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).isEqualTo("node n1 (" + n1.endpoint() + ") failed: ABORTED: request id is being handled "
        + "by n2; retrying on " + n2.endpoint() + " with the same request id and prior_nodes [n2]\n");
    assertThat(n2.increments()).singleElement().satisfies(q -> {
      assertThat(q.getRequestId()).isEqualTo("r-9");
      // n1 applied nothing; the handler it named is listed (the client had not heard n2's name yet).
      assertThat(q.getPriorNodesList()).containsExactly("n2");
    });
    assertThat(n1.value() + n2.value()).isEqualTo(1);
  }

  @Test
  void incr_priorNodes_areSentOnTheFirstAttempt() {
    Cli.Result r = Cli.run("incr", "likes", "--target", n2.endpoint(), "--request-id", "r-7",
        "--prior-nodes", "n1,n3");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(n2.increments()).singleElement().satisfies(q -> {
      assertThat(q.getRequestId()).isEqualTo("r-7");
      assertThat(q.getPriorNodesList()).containsExactly("n1", "n3");
    });
  }

  @Test
  void incr_priorNodesWithoutRequestId_isAUsageError() {
    Cli.Result r = Cli.run("incr", "likes", "--target", n1.endpoint(), "--prior-nodes", "n1");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("tally incr: --prior-nodes needs --request-id");
    assertThat(n1.increments()).isEmpty();
  }

  @Test
  void decr_everyAnswerLost_exits3_printingTheIdAndPriorNodesForARetryByHand() {
    n1.loseNext(2);
    n2.loseNext(2);

    Cli.Result lost = Cli.run("decr", "stock", "2", "--target", both);

    assertThat(lost.exitCode()).as(lost.toString()).isEqualTo(3);
    List<String> lines = lost.err().lines().toList();
    // Four attempts alternate n1, n2, n1, n2: three moves, then the error.
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).endsWith("retrying on " + n2.endpoint() + " with the same request id and prior_nodes [n1]");
    assertThat(lines.get(1)).startsWith("node n2 (" + n2.endpoint() + ") failed: UNAVAILABLE: reply lost")
        .endsWith("retrying on " + n1.endpoint() + " with the same request id and prior_nodes [n2]");
    Matcher m = Pattern.compile("rerun the command with --request-id (\\S+) --prior-nodes n1,n2$").matcher(lines.get(3));
    assertThat(m.find()).as(lines.get(3)).isTrue();
    String id = m.group(1);
    List<DecrementRequest> all = new java.util.ArrayList<>(n1.decrements());
    all.addAll(n2.decrements());
    assertThat(all).hasSize(4).allSatisfy(q -> assertThat(q.getRequestId()).isEqualTo(id));

    Cli.Result retry = Cli.run("decr", "stock", "2", "--target", n2.endpoint(), "--request-id", id,
        "--prior-nodes", "n1,n2");

    assertThat(retry.exitCode()).as(retry.toString()).isZero();
    assertThat(retry.out()).isEqualTo("stock  -2\n");
    // A new run has not heard n2's name before its first attempt, so it passes the list as given;
    // a node skips its own name in prior_nodes.
    assertThat(n2.decrements().get(2).getRequestId()).isEqualTo(id);
    assertThat(n2.decrements().get(2).getPriorNodesList()).containsExactly("n1", "n2");
  }
}
