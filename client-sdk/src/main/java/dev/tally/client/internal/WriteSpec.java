package dev.tally.client.internal;

import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What makes a unary call a write: its request id, the prior nodes the caller gave, and how to put
 * another prior_nodes list into the request (the three write messages have no common type).
 *
 * @param requestId the request id every attempt carries
 * @param priorNodes the prior_nodes already in the request (the caller's)
 * @param withPriorNodes a copy of the request with prior_nodes replaced
 */
record WriteSpec<Q>(String requestId, List<String> priorNodes, BiFunction<Q, List<String>, Q> withPriorNodes) {

  WriteSpec {
    Objects.requireNonNull(requestId, "requestId");
    priorNodes = List.copyOf(priorNodes);
    Objects.requireNonNull(withPriorNodes, "withPriorNodes");
  }
}
