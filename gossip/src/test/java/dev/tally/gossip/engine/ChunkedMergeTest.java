package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 10b: a large anti-entropy merge must not hold local writes up for more than one
 * chunk. The replica thread here is the virtual event loop, so "a local write waiting behind the
 * merge" is a task queued on it while the merge runs.
 */
class ChunkedMergeTest {
  private static final int KEYS = 10_000;

  private final TestCluster cluster = new TestCluster();

  @Test
  void antiEntropyMergeOf10kKeys_letsALocalWriteQueuedDuringItCommitBeforeItCompletes() {
    // Depth 1: a1 asks for every leaf in one call, and a2's one reply carries all 10,000 states.
    TestNode a1 = cluster.add("a1", "A", c -> c.withDigestTreeDepth(1));
    TestNode a2 = cluster.add("a2", "A", c -> c.withDigestTreeDepth(1));
    List<KeyState> states = new ArrayList<>(KEYS);
    for (int i = 0; i < KEYS; i++) {
      states.add(new KeyState("m-" + i, PnCounter.EMPTY.increment(0xA2, 1 + i % 5, 1)));
    }
    a2.store.write(states, StoreAttachment.NONE);
    cluster.start();

    int[] mergedWhenLocalCommitted = {-1};
    boolean[] roundDoneWhenLocalCommitted = {true};
    a1.store.onWrite(batch -> {
      if (mergedWhenLocalCommitted[0] < 0 && batch.size() > 1) {
        mergedWhenLocalCommitted[0] = -2; // queue the local write once, at the merge's first store write
        cluster.time.scheduler("a1").execute(() -> {
          a1.replica.commit(a1.replica.prepare(List.of(LocalWrite.of(CounterChange.increment("local", 7)))),
              StoreAttachment.NONE);
          mergedWhenLocalCommitted[0] = a1.store.size() - 1;
          roundDoneWhenLocalCommitted[0] = !a1.observer.rounds.isEmpty();
        });
      }
    });

    cluster.time.runAs("a1", () -> a1.replica.antiEntropy().tick());
    cluster.run(Duration.ofSeconds(5));

    assertThat(mergedWhenLocalCommitted[0]).as("keys merged when the local write committed")
        .isBetween(1, a1.replica.config().mergeChunkKeys());
    assertThat(roundDoneWhenLocalCommitted[0]).as("the exchange was still merging").isFalse();
    assertThat(a1.observer.rounds).hasSize(1);
    assertThat(a1.observer.rounds.get(0).repairedHere()).isEqualTo(KEYS);
    for (KeyState ks : states) {
      assertThat(a1.state(ks.key())).isEqualTo(ks.state());
    }
    assertThat(a1.value("local")).isEqualTo(7);
    assertThat(a1.store.size()).isEqualTo(KEYS + 1);
    assertThat(a1.replica.digestTree().root()).as("every chunk reached the digest tree")
        .isEqualTo(dev.tally.gossip.digest.DigestTree.build(1, a1.store).root());
  }
}
