package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 4: a scheduled task that throws (a store failure in a delta push or an
 * anti-entropy round) is counted, logged, and runs again next round instead of stalling its peer
 * or its task for good. The virtual replica thread carries on after a throwing task, as the node's
 * does, so what is tested is the engine's own recovery.
 */
class ScheduledTaskFailureTest {
  private static final Duration GOSSIP = Duration.ofMillis(50);
  private static final Duration ANTI_ENTROPY = Duration.ofMillis(200);

  private final TestCluster cluster = new TestCluster();

  @BeforeEach
  void replicaThreadsCarryOn() {
    cluster.time.carryOnAfterFailures();
  }

  @Test
  void deltaPush_storeReadFailsOnce_isCountedAndTheNextTickPushesAgain() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withGossipInterval(GOSSIP));
    TestNode a2 = cluster.add("a2", "A");
    cluster.start();
    a1.increment("x", 3);

    a1.store.failNextGet();
    cluster.run(GOSSIP.plusMillis(5));
    assertThat(a2.value("x")).as("the failed push delivered nothing").isZero();

    cluster.run(GOSSIP.multipliedBy(3));

    assertThat(a2.value("x")).as("the next gossip tick pushed the key again").isEqualTo(3);
    assertThat(a1.observer.internalErrors).isEqualTo(Map.of("delta-push", 1));
    assertThat(cluster.time.thrown()).as("nothing escaped to the replica thread").isEmpty();

    a1.increment("x", 4);
    cluster.run(GOSSIP.multipliedBy(2));
    assertThat(a2.value("x")).as("the peer's stream keeps flowing").isEqualTo(7);
  }

  @Test
  void antiEntropy_storeScanFailsOnceInARound_isCountedAndTheNextRoundConverges() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withAntiEntropyInterval(ANTI_ENTROPY));
    // Only a1 starts exchanges (a2's timer is an hour): one round, one failure, one count.
    TestNode a2 = cluster.add("a2", "A");
    // States written straight to the stores: no delta carries them, only anti-entropy can.
    a1.store.write(List.of(new KeyState("only-on-a1", PnCounter.EMPTY.increment(0x51, 5, 1))), StoreAttachment.NONE);
    a2.store.write(List.of(new KeyState("only-on-a2", PnCounter.EMPTY.increment(0x52, 7, 1))), StoreAttachment.NONE);
    cluster.start();

    // a1's first round fails when it reads the differing leaves to ship them.
    a1.store.failNextScan();
    cluster.time.runUntil(() -> !a1.observer.roundFailures.isEmpty(), Duration.ofSeconds(2));
    assertThat(a2.value("only-on-a1")).as("the failed round shipped nothing").isZero();

    boolean converged = cluster.time.runUntil(
        () -> a1.value("only-on-a2") == 7 && a2.value("only-on-a1") == 5 && !a1.observer.rounds.isEmpty(),
        Duration.ofSeconds(5));

    assertThat(converged).as("a later round ran and converged").isTrue();
    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    assertThat(a1.observer.internalErrors).isEqualTo(Map.of("anti-entropy", 1));
    assertThat(a1.observer.roundFailures).containsExactly("a2");
    assertThat(a1.observer.rounds).as("the round after the failure completed").isNotEmpty();
    assertThat(cluster.time.thrown()).as("nothing escaped to the replica thread").isEmpty();
  }
}
