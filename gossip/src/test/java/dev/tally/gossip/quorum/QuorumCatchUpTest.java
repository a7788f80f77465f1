package dev.tally.gossip.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.gossip.testing.TestTransport.Link;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 8: QUORUM over a partial view. A majority is of the DC as known, and a node that
 * has not caught up with its peers since it started (no anti-entropy exchange of its own has
 * completed with a DC peer: it may be empty after a wipe, or behind after a restart) does not
 * count toward a QUORUM read, neither its own nor a peer's.
 *
 * <p>Here a2 holds x = 5, a QUORUM write once acknowledged by a2 and a1's wiped incarnation; a1
 * is that wiped node, started afresh and not caught up; a3 never got x. Nothing replicates by
 * itself (hour-long timers).
 */
class QuorumCatchUpTest {
  private final TestCluster cluster = new TestCluster();
  private TestNode a1;
  private TestNode a2;
  private TestNode a3;

  @BeforeEach
  void dcOfThreeWithAFreshNode() {
    a1 = cluster.add("a1", "A");
    a2 = cluster.add("a2", "A");
    a3 = cluster.add("a3", "A");
    cluster.start();
    // a2 and a3 have caught up with each other since they started (a peer coming into view
    // starts an exchange at once, as on the node); a1 has not completed an exchange yet.
    a2.sees("a1", MemberState.SUSPECT);
    a3.sees("a1", MemberState.SUSPECT);
    catchUp(a2, "a3");
    catchUp(a3, "a2");
    a2.sees("a1", MemberState.ALIVE);
    a3.sees("a1", MemberState.ALIVE);
    cluster.run(Duration.ofMillis(50));
    a2.increment("x", 5);
  }

  /** The peer leaves and comes back into view: the node runs an exchange with it at once. */
  private void catchUp(TestNode node, String peer) {
    node.sees(peer, MemberState.SUSPECT);
    node.sees(peer, MemberState.ALIVE);
    cluster.run(Duration.ofMillis(50));
    assertThat(node.observer.rounds).extracting(r -> r.peer()).contains(peer);
  }

  private static QuorumException quorumFailure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    try {
      f.join();
      throw new AssertionError("not failed");
    } catch (CompletionException e) {
      assertThat(e.getCause()).isInstanceOf(QuorumException.class);
      return (QuorumException) e.getCause();
    }
  }

  @Test
  void quorumRead_onANodeThatHasNotCaughtUp_doesNotCountItself_andNeedsAMajorityOfItsPeers() {
    a1.transport.link("a2", Link.BLACKHOLE);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(200));

    // Counting itself, a1 and a3 would make a majority and answer 0: a QUORUM write lost.
    QuorumException e = quorumFailure(read);
    assertThat(e.reason()).isEqualTo(QuorumException.Reason.TIMED_OUT);
    assertThat(e.acks()).as("a3 answered; a1 is not counted").isEqualTo(1);
    assertThat(e.selfCounted()).isFalse();
    assertThat(e).hasMessageContaining("this node is not counted: it has not caught up");

    a1.transport.link("a2", Link.UP);
    CompletableFuture<List<KeyState>> again = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(10));
    assertThat(again.join().get(0).state().value()).as("both peers consulted").isEqualTo(5);
  }

  @Test
  void quorumRead_onAPeer_doesNotCountANodeThatHasNotCaughtUp() {
    a3.transport.link("a2", Link.BLACKHOLE);

    CompletableFuture<List<KeyState>> read = a3.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(200));

    QuorumException e = quorumFailure(read);
    assertThat(e.acks()).isEqualTo(1);
    assertThat(e).hasMessageContaining("a1").hasMessageContaining("not caught up");
  }

  @Test
  void quorumRead_onceTheNodeCompletedAnExchangeWithADcPeer_countsItAgain() {
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.sees("a2", MemberState.SUSPECT);
    catchUp(a1, "a3");
    a1.sees("a2", MemberState.ALIVE);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(10));

    assertThat(read.join().get(0).state().value()).as("a1 and a3, both caught up, make a majority").isZero();
  }

  @Test
  void quorumWrite_onANodeThatHasNotCaughtUp_stillCountsItself() {
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.increment("y", 1);

    CompletableFuture<Void> write = a1.replica.replicateToQuorum(List.of(new KeyState("y", a1.state("y"))));
    cluster.run(Duration.ofMillis(10));

    // It holds the write durably: a later majority read that includes it (once caught up) sees it.
    assertThat(write).isCompleted();
    assertThat(a3.value("y")).isEqualTo(1);
  }

  @Test
  void quorum_dcOfThreeKnownWithTwoDown_failsRatherThanCountingOneOfOneLive() {
    a2.sees("a1", MemberState.DEAD);
    a2.sees("a3", MemberState.SUSPECT);

    CompletableFuture<List<KeyState>> read = a2.replica.quorumRead(List.of("x"));
    CompletableFuture<Void> write = a2.replica.replicateToQuorum(List.of(new KeyState("x", a2.state("x"))));
    cluster.run(Duration.ofMillis(10));

    for (QuorumException e : List.of(quorumFailure(read), quorumFailure(write))) {
      assertThat(e.reason()).isEqualTo(QuorumException.Reason.TOO_FEW_ALIVE);
      assertThat(e.dcSize()).isEqualTo(3);
      assertThat(e.needed()).isEqualTo(2);
    }
    assertThat(a2.transport.calls("ReadStates")).isEmpty();
  }
}
