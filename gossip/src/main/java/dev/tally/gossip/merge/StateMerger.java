package dev.tally.gossip.merge;

import dev.tally.gossip.store.KeyState;
import dev.tally.peer.v1.NodeRef;
import java.util.List;

/**
 * Merges states from a peer into this replica's durable state. Implemented by the replica: one
 * store write for the whole call, then the digest tree, the delta buffers (relaying by topology)
 * and the replica listener learn of every key that changed.
 */
@FunctionalInterface
public interface StateMerger {
  /**
   * Replica thread only.
   *
   * @param states validated states; a key may repeat (its states are merged together)
   * @param from the peer they came from (its dc decides whether changes are relayed)
   * @return the keys whose state changed, with their new states
   * @throws dev.tally.gossip.store.StoreException if the store write failed; nothing changed
   */
  List<KeyState> merge(List<KeyState> states, NodeRef from);
}
