package dev.tally.gossip.merge;

import dev.tally.gossip.store.KeyState;
import dev.tally.peer.v1.NodeRef;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Merges states from a peer into this replica's durable state. Implemented by the replica: in
 * chunks of at most mergeChunkKeys keys, each one store write staged behind the local writes and
 * its own replica-thread task, so a large merge (an anti-entropy reply, a read repair) lets the
 * local write pipeline run between chunks; then the digest tree, the delta buffers (relaying by
 * topology) and the replica listener learn of every key that changed.
 */
@FunctionalInterface
public interface StateMerger {
  /**
   * Replica thread only.
   *
   * @param states validated states; a key may repeat (its states are merged together)
   * @param from the peer they came from (its dc decides whether changes are relayed)
   * @return completes on the replica thread, once every chunk is durable and published, with the
   *     number of keys whose state changed; fails with {@link dev.tally.gossip.store.StoreException}
   *     when a chunk was not written (the chunks before it stay merged)
   */
  CompletableFuture<Integer> merge(List<KeyState> states, NodeRef from);
}
