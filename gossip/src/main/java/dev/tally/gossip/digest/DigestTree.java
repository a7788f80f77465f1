package dev.tally.gossip.digest;

import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.StateStore;
import java.util.Arrays;

/**
 * A hash tree over the whole key space, fanout 64: level 0 is the root, level {@code depth} has
 * 64^depth leaves, and leaf i holds the keys whose unsigned 32-bit {@link KeyHash} has i as its top
 * {@code 6 * depth} bits. Every node's hash is the XOR of {@link KeyDigest} over the keys below it,
 * so two replicas holding the same states have the same tree, and a change to one key updates one
 * node per level in O(depth): {@code node ^= digest(old) ^ digest(new)}.
 *
 * <p>The tree is built once from {@link StateStore#scanAll} when a replica starts and then kept up
 * to date by {@link #update} on every durable change; anti-entropy never rescans the store to
 * compare. A depth of 3 (262,144 leaves) costs about 2.1 MB.
 *
 * <p>Concurrency: not thread-safe. The replica thread owns it.
 */
public final class DigestTree {
  /** Children per node. */
  public static final int FANOUT = 64;
  /** Key-hash bits consumed per level. */
  public static final int BITS_PER_LEVEL = 6;
  /** The deepest tree the 32-bit key hash supports (30 bits of leaf index). */
  public static final int MAX_DEPTH = 5;

  private final int depth;
  private final long[][] levels;

  /** An empty tree (every hash 0). */
  public DigestTree(int depth) {
    if (depth < 1 || depth > MAX_DEPTH) {
      throw new IllegalArgumentException("digest tree depth must be 1.." + MAX_DEPTH + ", got " + depth);
    }
    this.depth = depth;
    this.levels = new long[depth + 1][];
    for (int level = 0; level <= depth; level++) {
      levels[level] = new long[1 << (BITS_PER_LEVEL * level)];
    }
  }

  /** A tree holding every state of the store. */
  public static DigestTree build(int depth, StateStore store) {
    DigestTree tree = new DigestTree(depth);
    tree.rebuild(store);
    return tree;
  }

  /** Forgets everything and reads every state of the store again. */
  public void rebuild(StateStore store) {
    for (long[] level : levels) {
      Arrays.fill(level, 0);
    }
    store.scanAll(ks -> update(ks.key(), PnCounter.EMPTY, ks.state()));
  }

  public int depth() {
    return depth;
  }

  /** Number of nodes on a level: 64^level. */
  public int nodesAt(int level) {
    checkLevel(level);
    return levels[level].length;
  }

  /** Number of leaves: 64^depth. */
  public int leafCount() {
    return levels[depth].length;
  }

  /** Records that {@code key} went from {@code before} to {@code after}. */
  public void update(String key, PnCounter before, PnCounter after) {
    // Identity only: equal states give equal digests, so the delta below is 0 for them anyway, and
    // comparing every entry of every changed key costs more than it saves.
    if (before == after) {
      return;
    }
    long k64 = KeyDigest.keyHash64(key);
    long delta = KeyDigest.of(k64, before) ^ KeyDigest.of(k64, after);
    if (delta == 0) {
      return;
    }
    int leaf = leafOfHash(Integer.toUnsignedLong(KeyHash.of(key)), depth);
    for (int level = depth; level >= 0; level--) {
      levels[level][leaf >>> (BITS_PER_LEVEL * (depth - level))] ^= delta;
    }
  }

  /** The hash of node {@code index} on {@code level}. */
  public long hash(int level, int index) {
    checkLevel(level);
    long[] nodes = levels[level];
    if (index < 0 || index >= nodes.length) {
      throw new IllegalArgumentException("index " + index + " is outside level " + level + " (0.." + (nodes.length - 1) + ")");
    }
    return nodes[index];
  }

  /** The root hash: equal on two replicas exactly when (barring a 64-bit collision) they hold equal states. */
  public long root() {
    return levels[0][0];
  }

  /** Copies the 64 child hashes of node {@code index} on {@code level} (< depth) into {@code out} at {@code offset}. */
  public void childHashes(int level, int index, long[] out, int offset) {
    if (level >= depth) {
      throw new IllegalArgumentException("level " + level + " has no children in a tree of depth " + depth);
    }
    hash(level, index);
    System.arraycopy(levels[level + 1], index * FANOUT, out, offset, FANOUT);
  }

  /** The leaf that holds {@code key} in a tree of {@code depth}. */
  public static int leafOf(String key, int depth) {
    return leafOfHash(Integer.toUnsignedLong(KeyHash.of(key)), depth);
  }

  /** The leaf that holds {@code key} in this tree. */
  public int leafOf(String key) {
    return leafOf(key, depth);
  }

  /** The leaf of this tree that holds unsigned key hash {@code unsignedHash} (in {@code [0, 2^32)}). */
  public int leafOfHash(long unsignedHash) {
    return leafOfHash(unsignedHash, depth);
  }

  /** First unsigned key hash of a leaf; the leaf is {@code [leafStart(leaf), leafStart(leaf + 1))}. */
  public long leafStart(int leaf) {
    return ((long) leaf) << (32 - BITS_PER_LEVEL * depth);
  }

  private static int leafOfHash(long unsignedHash, int depth) {
    return (int) (unsignedHash >>> (32 - BITS_PER_LEVEL * depth));
  }

  private void checkLevel(int level) {
    if (level < 0 || level > depth) {
      throw new IllegalArgumentException("level " + level + " is outside 0.." + depth);
    }
  }
}
