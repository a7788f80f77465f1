package dev.tally.node.api;

import dev.tally.api.v1.ClusterStatusResponse;

/** Supplies ClusterService's answer: this node's view of the members. Any thread, never blocks. */
@FunctionalInterface
public interface ClusterStatusSource {
  ClusterStatusResponse status();
}
