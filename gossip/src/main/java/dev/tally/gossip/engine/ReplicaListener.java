package dev.tally.gossip.engine;

import dev.tally.gossip.store.KeyState;
import java.util.List;

/**
 * Told of every durable change to a counter on this node, whether written locally or merged from a
 * peer. Called on the replica thread: implementations must return quickly and never block (the
 * node's Watch hands the values to gRPC's flow-controlled streams).
 */
@FunctionalInterface
public interface ReplicaListener {
  void onChanged(List<KeyState> changed);

  ReplicaListener NONE = changed -> {};
}
