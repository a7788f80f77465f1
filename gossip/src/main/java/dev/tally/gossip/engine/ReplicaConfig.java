package dev.tally.gossip.engine;

import dev.tally.gossip.crdt.ReplicaIds;
import java.time.Duration;
import java.util.Objects;

/**
 * The engine's settings. Immutable; the node fills it from its validated config.
 *
 * @param nodeName this node's stable name
 * @param dc this node's data center
 * @param replicaId the id this node writes its own entries under (never reused after a wipe)
 * @param gossipInterval how often buffered deltas are pushed (earlier when a buffer fills)
 * @param maxDeltaKeys most keys in one delta message; a fuller buffer is pushed at once
 * @param maxPendingKeysPerPeer a peer further behind than this is left to anti-entropy
 * @param antiEntropyInterval how often a digest exchange with one peer starts
 * @param digestTreeDepth levels below the digest root (fanout 64); 3 gives 262,144 leaves
 * @param remoteDcFanout nodes of each remote DC that this node sends its deltas to
 * @param quorumTimeout how long a QUORUM read or write waits for a majority
 * @param maxPeerMessageBytes the largest anti-entropy sync or QUORUM read message (request or
 *     reply) this node builds; more states are paged by bytes (one state larger than this still
 *     goes, alone). Keep it well below the peers' inbound message limit.
 * @param mergeChunkKeys most keys of a peer's states (anti-entropy, read repair) merged in one
 *     replica-thread task and one store write; a larger merge yields to local writes between
 *     chunks, so it holds them up for one chunk at most
 * @param maxEntriesPerKey most replica entries one key's state may reach by merging peer input; a
 *     merge that would grow a key past it is refused for that key (counted and logged), so a key
 *     cannot grow without bound from the wire. A legitimate key holds one entry per replica id
 *     that ever wrote it: one per node, plus one per replica id a node retired (wipe, rollback).
 */
public record ReplicaConfig(
    String nodeName,
    String dc,
    long replicaId,
    Duration gossipInterval,
    int maxDeltaKeys,
    int maxPendingKeysPerPeer,
    Duration antiEntropyInterval,
    int digestTreeDepth,
    int remoteDcFanout,
    Duration quorumTimeout,
    int maxPeerMessageBytes,
    int mergeChunkKeys,
    int maxEntriesPerKey) {

  /** Default {@link #maxPeerMessageBytes}: 1 MiB, a sixteenth of the node's 16 MiB inbound limit. */
  public static final int DEFAULT_MAX_PEER_MESSAGE_BYTES = 1 << 20;
  /** Default {@link #mergeChunkKeys}: about one group commit's worth of keys. */
  public static final int DEFAULT_MERGE_CHUNK_KEYS = 1000;
  /** Smallest {@link #maxPeerMessageBytes}: a few states with maximum-size (4 KiB) keys must fit. */
  public static final int MIN_PEER_MESSAGE_BYTES = 16 << 10;
  /**
   * Default {@link #maxEntriesPerKey}: 1024 replica ids per key, room for a 100-node cluster whose
   * every node retired its id nine times, and a state of at most ~40 KiB on the wire.
   */
  public static final int DEFAULT_MAX_ENTRIES_PER_KEY = 1024;

  public ReplicaConfig {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(dc, "dc");
    if (replicaId == 0) {
      throw new IllegalArgumentException("replicaId must not be 0");
    }
    requirePositive(gossipInterval, "gossipInterval");
    requirePositive(antiEntropyInterval, "antiEntropyInterval");
    requirePositive(quorumTimeout, "quorumTimeout");
    if (maxDeltaKeys < 1) {
      throw new IllegalArgumentException("maxDeltaKeys must be >= 1, got " + maxDeltaKeys);
    }
    if (maxPendingKeysPerPeer < maxDeltaKeys) {
      throw new IllegalArgumentException("maxPendingKeysPerPeer must be >= maxDeltaKeys, got " + maxPendingKeysPerPeer);
    }
    if (digestTreeDepth < 1 || digestTreeDepth > 5) {
      throw new IllegalArgumentException("digestTreeDepth must be 1..5, got " + digestTreeDepth);
    }
    if (remoteDcFanout < 1) {
      throw new IllegalArgumentException("remoteDcFanout must be >= 1, got " + remoteDcFanout);
    }
    if (maxPeerMessageBytes < MIN_PEER_MESSAGE_BYTES) {
      throw new IllegalArgumentException("maxPeerMessageBytes must be >= " + MIN_PEER_MESSAGE_BYTES
          + " (a few maximum-size keys), got " + maxPeerMessageBytes);
    }
    if (mergeChunkKeys < 1) {
      throw new IllegalArgumentException("mergeChunkKeys must be >= 1, got " + mergeChunkKeys);
    }
    if (maxEntriesPerKey < 1) {
      throw new IllegalArgumentException("maxEntriesPerKey must be >= 1, got " + maxEntriesPerKey);
    }
  }

  /** The settings with the default {@link #maxPeerMessageBytes} and {@link #mergeChunkKeys}. */
  public ReplicaConfig(String nodeName, String dc, long replicaId, Duration gossipInterval, int maxDeltaKeys,
      int maxPendingKeysPerPeer, Duration antiEntropyInterval, int digestTreeDepth, int remoteDcFanout,
      Duration quorumTimeout) {
    this(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer, antiEntropyInterval,
        digestTreeDepth, remoteDcFanout, quorumTimeout, DEFAULT_MAX_PEER_MESSAGE_BYTES, DEFAULT_MERGE_CHUNK_KEYS,
        DEFAULT_MAX_ENTRIES_PER_KEY);
  }

  /** Production defaults for a node. */
  public static ReplicaConfig defaults(String nodeName, String dc, long replicaId) {
    return new ReplicaConfig(nodeName, dc, replicaId, Duration.ofMillis(50), 1000, 100_000,
        Duration.ofSeconds(1), 3, 2, Duration.ofSeconds(2));
  }

  public ReplicaConfig withGossipInterval(Duration d) {
    return new ReplicaConfig(nodeName, dc, replicaId, d, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withAntiEntropyInterval(Duration d) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        d, digestTreeDepth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withDigestTreeDepth(int depth) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, depth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withLimits(int deltaKeys, int pendingKeysPerPeer) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, deltaKeys, pendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withRemoteDcFanout(int fanout) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, fanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withQuorumTimeout(Duration d) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, d, maxPeerMessageBytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withMaxPeerMessageBytes(int bytes) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, quorumTimeout, bytes, mergeChunkKeys, maxEntriesPerKey);
  }

  public ReplicaConfig withMergeChunkKeys(int keys) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, keys, maxEntriesPerKey);
  }

  public ReplicaConfig withMaxEntriesPerKey(int entries) {
    return new ReplicaConfig(nodeName, dc, replicaId, gossipInterval, maxDeltaKeys, maxPendingKeysPerPeer,
        antiEntropyInterval, digestTreeDepth, remoteDcFanout, quorumTimeout, maxPeerMessageBytes, mergeChunkKeys, entries);
  }

  @Override
  public String toString() {
    return "ReplicaConfig[node=" + nodeName + ", dc=" + dc + ", replica=" + ReplicaIds.format(replicaId)
        + ", gossipInterval=" + gossipInterval + ", maxDeltaKeys=" + maxDeltaKeys
        + ", maxPendingKeysPerPeer=" + maxPendingKeysPerPeer + ", antiEntropyInterval=" + antiEntropyInterval
        + ", digestTreeDepth=" + digestTreeDepth + ", remoteDcFanout=" + remoteDcFanout
        + ", quorumTimeout=" + quorumTimeout + ", maxPeerMessageBytes=" + maxPeerMessageBytes
        + ", mergeChunkKeys=" + mergeChunkKeys + ", maxEntriesPerKey=" + maxEntriesPerKey + "]";
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0, got " + d);
    }
  }
}
