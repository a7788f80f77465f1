package dev.tally.gossip.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.membership.MemberState;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.gossip.testing.TestTransport.Link;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * QUORUM reads and writes over real replicas (quorum timeout 200 ms, calls take 1 ms each way),
 * each caught up with a DC peer after its start (see {@link QuorumCatchUpTest} for those that are
 * not).
 */
class QuorumTest {
  private final TestCluster cluster = new TestCluster();

  private TestNode a1;
  private TestNode a2;
  private TestNode a3;

  private void threeInDcA() {
    a1 = cluster.add("a1", "A");
    a2 = cluster.add("a2", "A");
    a3 = cluster.add("a3", "A");
    cluster.add("b1", "B");
    cluster.startCaughtUp();
  }

  private static Throwable cause(CompletableFuture<?> f) {
    try {
      f.join();
      throw new AssertionError("expected a failure, got " + f.join());
    } catch (CompletionException e) {
      return e.getCause();
    }
  }

  private static QuorumException quorumFailure(CompletableFuture<?> f) {
    assertThat(f).isCompletedExceptionally();
    Throwable cause = cause(f);
    assertThat(cause).isInstanceOf(QuorumException.class);
    return (QuorumException) cause;
  }

  @Test
  void quorumRead_majorityAnswers_returnsTheMergedStateAndKeepsItDurably() {
    threeInDcA();
    a2.increment("x", 5);
    a3.transport.link("a1", Link.BLACKHOLE);
    a1.transport.link("a3", Link.BLACKHOLE);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x", "never-written"));
    cluster.run(Duration.ofMillis(10));

    assertThat(read).isDone();
    assertThat(read.join()).extracting(KeyState::key).containsExactly("x", "never-written");
    assertThat(read.join().get(0).state().value()).isEqualTo(5);
    assertThat(read.join().get(1).state()).isEqualTo(PnCounter.EMPTY);
    assertThat(a1.value("x")).as("read repair").isEqualTo(5);
    assertThat(a1.transport.calls("ReadStates")).extracting(c -> c.peer).containsExactlyInAnyOrder("a2", "a3");
  }

  @Test
  void quorumRead_tooFewMembersAlive_failsAtOnceWithoutAsking() {
    threeInDcA();
    a1.sees("a2", MemberState.DEAD);
    a1.sees("a3", MemberState.SUSPECT);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ZERO);

    QuorumException e = quorumFailure(read);
    assertThat(e.reason()).isEqualTo(QuorumException.Reason.TOO_FEW_ALIVE);
    assertThat(e.acks()).isEqualTo(1);
    assertThat(e.needed()).isEqualTo(2);
    assertThat(e.dcSize()).as("dead and suspect members still count").isEqualTo(3);
    assertThat(e).hasMessageContaining("reached 1 of the 2 replicas needed").hasMessageContaining("3 members of dc A");
    assertThat(a1.transport.calls()).isEmpty();
  }

  @Test
  void quorumRead_noAnswerBeforeTheTimeout_failsAsTimedOut() {
    threeInDcA();
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.transport.link("a3", Link.BLACKHOLE);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(199));
    assertThat(read).isNotDone();
    cluster.run(Duration.ofMillis(1));

    QuorumException e = quorumFailure(read);
    assertThat(e.timedOut()).isTrue();
    assertThat(e).hasMessageContaining("quorum timeout of 200 ms");
  }

  @Test
  void quorumRead_peersRefuse_failsWithoutWaitingForTheTimeout() {
    threeInDcA();
    a1.transport.link("a2", Link.REFUSE);
    a1.transport.link("a3", Link.REFUSE);

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(5));

    QuorumException e = quorumFailure(read);
    assertThat(e.reason()).isEqualTo(QuorumException.Reason.PEERS_FAILED);
    assertThat(e).hasMessageContaining("2 of the 2 live peers asked failed");
  }

  @Test
  void quorumRead_invalidKey_isRejected() {
    threeInDcA();
    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("ok", ""));
    cluster.run(Duration.ZERO);
    assertThat(cause(read)).isInstanceOf(IllegalArgumentException.class).hasMessage("keys[1] is empty");
  }

  @Test
  void replicateToQuorum_completesOnceAMajorityHoldsTheStates() {
    threeInDcA();
    a1.transport.link("a3", Link.BLACKHOLE);
    a1.increment("x", 4);

    CompletableFuture<Void> write = a1.replica.replicateToQuorum(List.of(new KeyState("x", a1.state("x"))));
    cluster.run(Duration.ofMillis(1));
    assertThat(write).isNotDone();
    cluster.run(Duration.ofMillis(5));

    assertThat(write).isCompleted();
    assertThat(a2.value("x")).isEqualTo(4);
    assertThat(cluster.node("b1").transport.calls()).isEmpty();
    assertThat(a1.transport.calls("PushDelta")).extracting(c -> c.peer).as("only the DC's live peers")
        .containsExactlyInAnyOrder("a2", "a3");
  }

  @Test
  void replicateToQuorum_timeout_saysItWasAppliedLocallyAndARetryIsSafe() {
    threeInDcA();
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.transport.link("a3", Link.BLACKHOLE);
    a1.increment("x", 4);

    CompletableFuture<Void> write = a1.replica.replicateToQuorum(List.of(new KeyState("x", a1.state("x"))));
    cluster.run(Duration.ofMillis(200));

    QuorumException e = quorumFailure(write);
    assertThat(e.reason()).isEqualTo(QuorumException.Reason.TIMED_OUT);
    assertThat(e).hasMessageContaining("QUORUM write reached 1 of the 2 replicas needed")
        .hasMessageContaining("applied and durable on this node").hasMessageContaining("retry with the same request_id is safe");
    assertThat(a1.value("x")).isEqualTo(4);
  }

  @Test
  void replicateToQuorum_tooFewAlive_sayHowManyAreAlive() {
    a1 = cluster.add("a1", "A");
    for (int i = 2; i <= 5; i++) {
      cluster.add("a" + i, "A");
    }
    cluster.startCaughtUp();
    a1.sees("a3", MemberState.DEAD);
    a1.sees("a4", MemberState.DEAD);
    a1.sees("a5", MemberState.DEAD);
    a1.increment("x", 1);

    CompletableFuture<Void> write = a1.replica.replicateToQuorum(List.of(new KeyState("x", a1.state("x"))));
    cluster.run(Duration.ZERO);

    QuorumException e = quorumFailure(write);
    assertThat(e.reason()).isEqualTo(QuorumException.Reason.TOO_FEW_ALIVE);
    assertThat(e.needed()).isEqualTo(3);
    assertThat(e).hasMessageContaining("only 2 members of the DC are alive");
  }

  @Test
  void replicateToQuorum_stateNotCommittedHere_isRefused() {
    threeInDcA();
    CompletableFuture<Void> write = a1.replica.replicateToQuorum(
        List.of(new KeyState("x", PnCounter.EMPTY.increment(42, 1, 1))));
    cluster.run(Duration.ZERO);
    assertThat(cause(write)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not committed");
    assertThat(a1.transport.calls()).isEmpty();
  }

  @Test
  void replicateCommittedToQuorum_pushesTheCurrentStatesOfTheKeys_skippingKeysNeverWritten() {
    threeInDcA();
    a1.increment("x", 4);
    a1.increment("x", 3);

    CompletableFuture<Void> write = a1.replica.replicateCommittedToQuorum(List.of("x", "never-written"));
    cluster.run(Duration.ofMillis(5));

    assertThat(write).isCompleted();
    assertThat(a2.value("x")).isEqualTo(7);
    assertThat(a2.state("never-written")).isEqualTo(PnCounter.EMPTY);
  }

  @Test
  void replicateCommittedToQuorum_majorityUnreachable_timesOut() {
    threeInDcA();
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.transport.link("a3", Link.BLACKHOLE);
    a1.increment("x", 1);

    CompletableFuture<Void> write = a1.replica.replicateCommittedToQuorum(List.of("x"));
    cluster.run(Duration.ofMillis(200));

    assertThat(quorumFailure(write).reason()).isEqualTo(QuorumException.Reason.TIMED_OUT);
  }

  @Test
  void quorum_inAOneNodeDc_isLocal() {
    TestNode solo = cluster.add("solo", "S");
    cluster.add("b1", "B");
    cluster.startCaughtUp();
    solo.increment("x", 2);

    CompletableFuture<List<KeyState>> read = solo.replica.quorumRead(List.of("x"));
    CompletableFuture<Void> write = solo.replica.replicateToQuorum(List.of(new KeyState("x", solo.state("x"))));
    cluster.run(Duration.ZERO);

    assertThat(read.join().get(0).state().value()).isEqualTo(2);
    assertThat(write).isCompleted();
    assertThat(solo.transport.calls()).isEmpty();
  }

  @Test
  void close_failsRunningQuorumOperations() {
    threeInDcA();
    a1.transport.link("a2", Link.BLACKHOLE);
    a1.transport.link("a3", Link.BLACKHOLE);
    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(List.of("x"));
    cluster.run(Duration.ofMillis(1));

    cluster.time.runAs("a1", a1.replica::close);

    assertThat(cause(read)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    CompletableFuture<List<KeyState>> after = a1.replica.quorumRead(List.of("x"));
    assertThat(cause(after)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }
}
