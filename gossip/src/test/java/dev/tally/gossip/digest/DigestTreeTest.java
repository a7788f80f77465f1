package dev.tally.gossip.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.InMemoryStateStore;
import dev.tally.gossip.store.KeyState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Randomised tests print their seed; replay one with {@code -Dtally.test.seed=<n>}. */
class DigestTreeTest {

  private static long seed() {
    long seed = Long.getLong("tally.test.seed", System.nanoTime());
    System.out.println("SEED=" + seed + " (replay with -Dtally.test.seed=" + seed + ")");
    return seed;
  }

  @Test
  void update_incrementalTreeEqualsRebuiltTree() {
    SplittableRandom random = new SplittableRandom(seed());
    for (int depth = 1; depth <= 3; depth++) {
      InMemoryStateStore store = new InMemoryStateStore();
      DigestTree incremental = new DigestTree(depth);
      for (int op = 0; op < 3000; op++) {
        String key = "key-" + random.nextInt(500);
        PnCounter before = store.get(key);
        PnCounter after = random.nextBoolean()
            ? before.increment(1 + random.nextInt(4), 1 + random.nextInt(100), op)
            : before.merge(PnCounter.of(List.of(new PnCounter.Entry(10 + random.nextInt(3), random.nextInt(1000), 0, op))));
        store.write(List.of(new KeyState(key, after)), dev.tally.gossip.store.StoreAttachment.NONE);
        incremental.update(key, before, after);
      }
      DigestTree rebuilt = DigestTree.build(depth, store);
      for (int level = 0; level <= depth; level++) {
        for (int i = 0; i < rebuilt.nodesAt(level); i++) {
          assertThat(incremental.hash(level, i)).as("depth %d level %d node %d", depth, level, i)
              .isEqualTo(rebuilt.hash(level, i));
        }
      }
      assertThat(incremental.root()).isNotZero();
    }
  }

  @Test
  void root_isEqualForEqualStatesWrittenInAnyOrder() {
    List<KeyState> states = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      states.add(new KeyState("k" + i, PnCounter.EMPTY.increment(1 + i % 3, 1 + i, 5)));
    }
    DigestTree a = new DigestTree(2);
    DigestTree b = new DigestTree(2);
    states.forEach(ks -> a.update(ks.key(), PnCounter.EMPTY, ks.state()));
    for (int i = states.size() - 1; i >= 0; i--) {
      b.update(states.get(i).key(), PnCounter.EMPTY, states.get(i).state());
    }
    assertThat(a.root()).isEqualTo(b.root());

    KeyState changed = states.get(17);
    a.update(changed.key(), changed.state(), changed.state().increment(9, 1, 6));
    assertThat(a.root()).isNotEqualTo(b.root());
  }

  @Test
  void update_emptyStateContributesNothing() {
    DigestTree tree = new DigestTree(2);
    tree.update("k", PnCounter.EMPTY, PnCounter.EMPTY);
    assertThat(tree.root()).isZero();
    PnCounter s = PnCounter.EMPTY.increment(1, 1, 1);
    tree.update("k", PnCounter.EMPTY, s);
    tree.update("k", s, PnCounter.EMPTY);
    assertThat(tree.root()).isZero();
  }

  @Test
  void childHashes_xorToTheirParent() {
    DigestTree tree = new DigestTree(3);
    for (int i = 0; i < 5000; i++) {
      tree.update("key-" + i, PnCounter.EMPTY, PnCounter.EMPTY.increment(1, i + 1, 0));
    }
    long[] children = new long[DigestTree.FANOUT];
    for (int level = 0; level < 3; level++) {
      for (int index = 0; index < tree.nodesAt(level); index += 37) {
        tree.childHashes(level, index, children, 0);
        long xor = 0;
        for (long c : children) {
          xor ^= c;
        }
        assertThat(xor).isEqualTo(tree.hash(level, index));
      }
    }
  }

  @Test
  void leafRange_scanYieldsExactlyTheKeysOfThatLeaf() {
    InMemoryStateStore store = new InMemoryStateStore();
    DigestTree tree = new DigestTree(2);
    Set<String> all = new HashSet<>();
    for (int i = 0; i < 3000; i++) {
      String key = "user:" + i;
      all.add(key);
      store.write(List.of(new KeyState(key, PnCounter.EMPTY.increment(1, 1, 0))), dev.tally.gossip.store.StoreAttachment.NONE);
    }
    Set<String> seen = new HashSet<>();
    for (int leaf = 0; leaf < tree.leafCount(); leaf++) {
      int l = leaf;
      store.scan(tree.leafStart(leaf), tree.leafStart(leaf + 1), ks -> {
        assertThat(tree.leafOf(ks.key())).isEqualTo(l);
        assertThat(seen.add(ks.key())).isTrue();
      });
    }
    assertThat(seen).isEqualTo(all);
    assertThat(tree.leafStart(tree.leafCount())).isEqualTo(1L << 32);
  }

  @Test
  void leafOf_usesTheTopBitsOfTheKeyHash() {
    String key = "hello";
    long hash = Integer.toUnsignedLong(KeyHash.of(key));
    assertThat(DigestTree.leafOf(key, 1)).isEqualTo((int) (hash >>> 26));
    assertThat(DigestTree.leafOf(key, 3)).isEqualTo((int) (hash >>> 14));
  }

  @Test
  void constructor_rejectsDepthOutsideOneToFive() {
    assertThatThrownBy(() -> new DigestTree(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..5");
    assertThatThrownBy(() -> new DigestTree(6)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 6");
  }

  @Test
  void hash_rejectsIndexOutsideLevel() {
    DigestTree tree = new DigestTree(1);
    assertThatThrownBy(() -> tree.hash(1, 64)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..63");
    assertThatThrownBy(() -> tree.childHashes(1, 0, new long[64], 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
