package dev.tally.node.fuzz;

import static io.grpc.Status.Code.ABORTED;
import static io.grpc.Status.Code.DEADLINE_EXCEEDED;
import static io.grpc.Status.Code.FAILED_PRECONDITION;
import static io.grpc.Status.Code.INVALID_ARGUMENT;
import static io.grpc.Status.Code.NOT_FOUND;
import static io.grpc.Status.Code.OK;
import static io.grpc.Status.Code.OUT_OF_RANGE;
import static io.grpc.Status.Code.RESOURCE_EXHAUSTED;
import static io.grpc.Status.Code.UNAVAILABLE;

import dev.tally.api.v1.ClusterServiceGrpc;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.util.EnumSet;
import java.util.Set;

/**
 * Every RPC the fuzz calls, with the status codes its documentation allows (counter.proto,
 * peer.proto, docs/api.md; grpc's health protocol for Check). UNKNOWN and INTERNAL are never
 * allowed: they mean the node failed on the input instead of judging it. DEADLINE_EXCEEDED is
 * allowed only where the documentation says a call may wait for a majority (QUORUM reads and writes).
 */
enum Rpc {
  INCREMENT(CounterServiceGrpc.getIncrementMethod(), Port.CLIENT, Effect.WRITES_NAMED_KEYS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED),
  DECREMENT(CounterServiceGrpc.getDecrementMethod(), Port.CLIENT, Effect.WRITES_NAMED_KEYS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED),
  INCREMENT_MANY(CounterServiceGrpc.getIncrementManyMethod(), Port.CLIENT, Effect.WRITES_NAMED_KEYS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED),
  GET(CounterServiceGrpc.getGetMethod(), Port.CLIENT, Effect.READS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED),
  GET_MANY(CounterServiceGrpc.getGetManyMethod(), Port.CLIENT, Effect.READS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED),
  /** OK here: the stream opened and sent the current value of every key. */
  WATCH(CounterServiceGrpc.getWatchMethod(), Port.CLIENT, Effect.READS,
      OK, INVALID_ARGUMENT, OUT_OF_RANGE, RESOURCE_EXHAUSTED, UNAVAILABLE),
  CLUSTER_STATUS(ClusterServiceGrpc.getClusterStatusMethod(), Port.CLIENT, Effect.READS, OK, INVALID_ARGUMENT),
  /** NOT_FOUND: a service name the node does not serve (the health protocol's answer). */
  HEALTH(HealthGrpc.getCheckMethod(), Port.CLIENT, Effect.READS, OK, INVALID_ARGUMENT, NOT_FOUND),
  /** A well-formed push from a peer is legitimate input: it may change the counters it names. */
  PUSH_DELTA(PeerServiceGrpc.getPushDeltaMethod(), Port.PEER, Effect.WRITES_NAMED_KEYS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION),
  COMPARE_DIGEST(PeerServiceGrpc.getCompareDigestMethod(), Port.PEER, Effect.READS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION),
  /** Push-pull: the requester's states are merged, like a push. */
  SYNC_BUCKETS(PeerServiceGrpc.getSyncBucketsMethod(), Port.PEER, Effect.WRITES_NAMED_KEYS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION),
  /** UNAVAILABLE: the node has not caught up since it started (not counted toward QUORUM yet). */
  READ_STATES(PeerServiceGrpc.getReadStatesMethod(), Port.PEER, Effect.READS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION),
  /** Records a claim (not a counter) when it accepts one; a refused claim is OK with accepted = false. */
  CLAIM_REPLICA(PeerServiceGrpc.getClaimReplicaMethod(), Port.PEER, Effect.READS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION),
  /** Writes a fence or answers from a dedupe record; never changes a counter. */
  RESOLVE_REQUEST(PeerServiceGrpc.getResolveRequestMethod(), Port.PEER, Effect.READS,
      OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE, FAILED_PRECONDITION);

  enum Port { CLIENT, PEER }

  /** What an accepted call may do to the counters. */
  enum Effect {
    /** Nothing: no counter changes. */
    READS,
    /** The counters the request names may change; no other. */
    WRITES_NAMED_KEYS
  }

  final MethodDescriptor<?, ?> method;
  final Port port;
  final Effect effect;
  final Set<Status.Code> allowed;

  Rpc(MethodDescriptor<?, ?> method, Port port, Effect effect, Status.Code first, Status.Code... rest) {
    this.method = method;
    this.port = port;
    this.effect = effect;
    this.allowed = EnumSet.of(first, rest);
  }
}
