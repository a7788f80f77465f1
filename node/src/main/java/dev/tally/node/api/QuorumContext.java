package dev.tally.node.api;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * What CounterService needs to serve QUORUM calls and explain their failures.
 *
 * @param nodeName this node, named in error messages
 * @param dc this node's data center, whose majority QUORUM needs
 * @param quorumTimeout how long a QUORUM call waits, named in DEADLINE_EXCEEDED messages
 * @param membershipEstablished false while this node cannot know its DC's size (it has never heard
 *     from any member): QUORUM calls are then refused rather than counted against a DC of one
 */
public record QuorumContext(String nodeName, String dc, Duration quorumTimeout, BooleanSupplier membershipEstablished) {
  public QuorumContext {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(dc, "dc");
    Objects.requireNonNull(quorumTimeout, "quorumTimeout");
    Objects.requireNonNull(membershipEstablished, "membershipEstablished");
  }
}
