package dev.tally.gossip.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.MessageLite;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreAttachment;
import dev.tally.gossip.testing.TestCluster;
import dev.tally.gossip.testing.TestCluster.TestNode;
import dev.tally.gossip.testing.TestTransport;
import dev.tally.gossip.testing.TestTransport.Link;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, defect 9: anti-entropy bucket syncs and QUORUM reads stay under the peer message cap
 * (max-peer-message-bytes, 1 MiB by default) whatever the key sizes, paging by bytes, so they
 * never hit the transport's inbound limit ({@link TestTransport#MAX_MESSAGE_BYTES}, 16 MiB as on
 * the node) and always complete.
 */
class PeerMessageSizeTest {
  /** The default max-peer-message-bytes. */
  private static final int CAP = 1 << 20;

  private final TestCluster cluster = new TestCluster();

  /** {@code count} distinct 4 KiB keys (the longest allowed) that all fall into leaf 0 of a depth-1 tree. */
  private static List<String> fourKibKeysInLeafZero(String tag, int count) {
    List<String> keys = new ArrayList<>(count);
    String body = "k".repeat(4096);
    for (int i = 0; keys.size() < count; i++) {
      String prefix = tag + i + "-";
      String key = prefix + body.substring(prefix.length());
      if (DigestTree.leafOf(key, 1) == 0) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static void write(TestNode node, List<String> keys, long replica, long p) {
    List<KeyState> states = new ArrayList<>(keys.size());
    for (String key : keys) {
      states.add(new KeyState(key, PnCounter.EMPTY.increment(replica, p, 1)));
    }
    node.store.write(states, StoreAttachment.NONE);
  }

  private static int size(Object message) {
    return ((MessageLite) message).getSerializedSize();
  }

  @Test
  void antiEntropy_aLeafOfMoreThanTheLimitIn4KibKeysOnBothSides_syncsCompletelyInPagesUnderTheCap() {
    TestNode a1 = cluster.add("a1", "A", c -> c.withDigestTreeDepth(1));
    TestNode a2 = cluster.add("a2", "A", c -> c.withDigestTreeDepth(1));
    // About 17 MiB of states each in one leaf: more than the inbound limit in either direction.
    List<String> mine = fourKibKeysInLeafZero("a", 4200);
    List<String> theirs = fourKibKeysInLeafZero("b", 4200);
    write(a1, mine, 0xA1, 1);
    write(a2, theirs, 0xA2, 2);
    cluster.start();

    cluster.time.runAs("a1", () -> a1.replica.antiEntropy().tick());
    boolean converged = cluster.time.runUntil(() -> a1.store.size() == 8400 && a2.store.size() == 8400,
        Duration.ofSeconds(30));

    assertThat(a1.observer.roundFailures).as("no call failed").isEmpty();
    assertThat(converged).isTrue();
    cluster.run(Duration.ofSeconds(1));
    assertThat(a1.observer.rounds).hasSize(1);
    assertThat(a1.store.dump()).isEqualTo(a2.store.dump());
    for (String key : mine) {
      assertThat(a2.value(key)).isEqualTo(1);
    }
    for (String key : theirs) {
      assertThat(a1.value(key)).isEqualTo(2);
    }
    List<TestTransport.Call> syncs = a1.transport.calls("SyncBuckets");
    assertThat(syncs).as("paged").hasSizeGreaterThan(16);
    assertThat(syncs).allSatisfy(c -> {
      assertThat(size(c.request)).as("request").isLessThanOrEqualTo(CAP);
      assertThat(size(c.response)).as("reply").isLessThanOrEqualTo(CAP);
    });
  }

  @Test
  void quorumRead_ofThousandsOf4KibKeys_isPagedUnderTheCapAndAnswersEveryKey() {
    TestNode a1 = cluster.add("a1", "A");
    TestNode a2 = cluster.add("a2", "A");
    cluster.add("a3", "A");
    cluster.startCaughtUp();
    List<String> keys = new ArrayList<>();
    String body = "q".repeat(4096);
    for (int i = 0; i < 5000; i++) {
      String prefix = i + "-";
      keys.add(prefix + body.substring(prefix.length()));
    }
    write(a2, keys, 0xA2, 3);
    a1.transport.link("a3", Link.BLACKHOLE); // a2 must answer: about 20 MiB of states

    CompletableFuture<List<KeyState>> read = a1.replica.quorumRead(keys);
    cluster.run(Duration.ofMillis(150));

    assertThat(read).isCompleted();
    assertThat(read.join()).hasSize(5000);
    for (int i = 0; i < keys.size(); i++) {
      assertThat(read.join().get(i).key()).isEqualTo(keys.get(i));
      assertThat(read.join().get(i).state().value()).isEqualTo(3);
    }
    assertThat(a1.value(keys.get(4999))).as("read repair").isEqualTo(3);
    List<TestTransport.Call> reads = a1.transport.calls("ReadStates").stream().filter(c -> c.peer.equals("a2")).toList();
    assertThat(reads).as("paged").hasSizeGreaterThan(19);
    assertThat(reads).allSatisfy(c -> {
      assertThat(size(c.request)).as("request").isLessThanOrEqualTo(CAP);
      assertThat(size(c.response)).as("reply").isLessThanOrEqualTo(CAP);
    });
  }
}
