package dev.tally.gossip.sim;

import dev.tally.gossip.identity.ClaimSender;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import java.net.ConnectException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * The lossy network between simulated nodes. A call travels as a request event and, if the callee
 * answers, a response event, each subject to the current faults: loss, duplication (the request is
 * delivered twice), delay (and so reordering; a slow message can arrive after its deadline), and
 * the current {@link Connectivity} (partitions, one-way links). Every call has a deadline that
 * fails it in the caller's context; a call to a node that is down fails fast like a refused
 * connection. In-flight requests of a caller that crashed are lost.
 *
 * <p>Peer input must always be valid in a correct cluster, so a callee rejecting a request with an
 * {@link IllegalArgumentException} fails the run.
 */
final class SimNetwork {
  private final SimWorld world;
  private final SplittableRandom random;
  private final Map<String, SimNode> nodes;
  private final long deadlineNanos;
  private Connectivity connectivity = Connectivity.FULL;
  private double dropRate;
  private double duplicateRate;
  private double slowRate;
  private final Map<String, long[]> stats = new TreeMap<>();
  /** Nodes whose next delta push received carries their own entry inflated (a buggy or hostile peer). */
  private final java.util.Set<String> inflateNextPush = new java.util.HashSet<>();

  SimNetwork(SimWorld world, SplittableRandom random, Map<String, SimNode> nodes, long deadlineMillis) {
    this.world = world;
    this.random = random;
    this.nodes = nodes;
    this.deadlineNanos = deadlineMillis * 1_000_000L;
  }

  void setConnectivity(Connectivity c) {
    connectivity = c;
  }

  Connectivity connectivity() {
    return connectivity;
  }

  void setFaults(double drop, double duplicate, double slow) {
    dropRate = drop;
    duplicateRate = duplicate;
    slowRate = slow;
  }

  String faults() {
    return "drop " + dropRate + ", duplicate " + duplicateRate + ", slow " + slowRate;
  }

  /** The next delta push {@code node} receives carries its own current entry of a key, inflated. */
  void inflateOwnEntryNextPushTo(String node) {
    inflateNextPush.add(node);
  }

  /**
   * Puts the callee's own current entry into the batch's first state, ahead of anything it ever
   * wrote: what a peer holding a newer copy of a rolled-back dir, or a hostile one, would send.
   */
  private DeltaBatch inflateIfAsked(Incarnation callee, DeltaBatch batch) {
    if (batch.getStatesCount() == 0 || !inflateNextPush.remove(callee.node.name)) {
      return batch;
    }
    long own = callee.replica.replicaId();
    dev.tally.peer.v1.CounterState first = batch.getStates(0);
    long local = callee.node.store.get(first.getKey()).p(own);
    dev.tally.peer.v1.CounterState.Builder state = first.toBuilder().clearEntries();
    long p = local;
    for (dev.tally.peer.v1.ReplicaEntry e : first.getEntriesList()) {
      if (e.getReplica() == own) {
        p = Math.max(p, e.getP());
      } else {
        state.addEntries(e);
      }
    }
    long inflated = p + 1000;
    state.addEntries(dev.tally.peer.v1.ReplicaEntry.newBuilder().setReplica(own).setP(inflated).setUpdatedAtMs(1));
    world.trace(callee.node.name, () -> "receives its own entry of '" + first.getKey() + "' inflated to +" + inflated);
    return batch.toBuilder().setStates(0, state).build();
  }

  double dropRate() {
    return dropRate;
  }

  boolean canSend(String from, String to) {
    return connectivity.allows(from, to);
  }

  /** Per method: {calls, requests delivered, states carried by requests, states carried by responses}. */
  Map<String, long[]> stats() {
    return stats;
  }

  PeerTransport transportFor(Incarnation caller) {
    return new PeerTransport() {
      @Override
      public CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch) {
        return call(caller, peer, "PushDelta", batch, batch.getStatesCount(),
            (i, q) -> i.replica.onPushDelta(inflateIfAsked(i, q)), r -> 0);
      }

      @Override
      public CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request) {
        return call(caller, peer, "CompareDigest", request, 0, (i, q) -> i.replica.onCompareDigest(q), r -> 0);
      }

      @Override
      public CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request) {
        return call(caller, peer, "SyncBuckets", request, request.getStatesCount(), (i, q) -> i.replica.onSyncBuckets(q),
            BucketSyncResponse::getStatesCount);
      }

      @Override
      public CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request) {
        return call(caller, peer, "ReadStates", request, 0, (i, q) -> i.replica.onReadStates(q), ReadStatesResponse::getStatesCount);
      }
    };
  }

  /** Exactly-once across failover: a node asks a prior node about a request id. */
  dev.tally.gossip.failover.ResolveSender resolveFor(Incarnation caller) {
    return (peer, request, timeout) -> call(caller, peer, "ResolveRequest", request, 0,
        (i, q) -> i.responder.answer(q), dev.tally.peer.v1.ResolveRequestResponse::getStatesCount);
  }

  /** Replica-id claims of a starting node, over the same lossy, partitioned network. */
  ClaimSender claimsFor(Incarnation caller) {
    return (peer, claim) -> call(caller, peer, "ClaimReplica", claim, 0,
        (i, c) -> CompletableFuture.completedFuture(i.claims.consider(c)), r -> 0);
  }

  private <Q, R> CompletableFuture<R> call(Incarnation caller, String to, String method, Q request, int requestStates,
      BiFunction<Incarnation, Q, CompletableFuture<R>> handler, java.util.function.ToIntFunction<R> responseStates) {
    CompletableFuture<R> result = new CompletableFuture<>();
    String from = caller.node.name;
    long[] s = stats.computeIfAbsent(method, m -> new long[4]);
    s[0]++;
    world.schedule(caller, deadlineNanos, () -> {
      if (!result.isDone()) {
        world.trace(from, () -> method + " to " + to + " timed out");
        result.completeExceptionally(new TimeoutException(method + " to " + to + " passed its deadline"));
      }
    });
    SimNode target = nodes.get(to);
    if (target == null) {
      world.schedule(caller, 0, () -> result.completeExceptionally(new ConnectException("unknown peer " + to)));
      return result;
    }
    boolean lost = !canSend(from, to) || random.nextDouble() < dropRate;
    int copies = lost ? 0 : random.nextDouble() < duplicateRate ? 2 : 1;
    world.trace(from, () -> method + " -> " + to + (lost ? " (lost)" : copies == 2 ? " (duplicated)" : ""));
    for (int c = 0; c < copies; c++) {
      world.schedule(null, delay(from, to), () -> {
        if (!caller.alive) {
          return;
        }
        Incarnation callee = target.current;
        if (callee == null) {
          world.schedule(caller, delay(to, from), () ->
              result.completeExceptionally(new ConnectException(to + " refused the connection (down)")));
          return;
        }
        s[1]++;
        s[2] += requestStates;
        handler.apply(callee, request).whenComplete((response, error) -> {
          Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (cause instanceof IllegalArgumentException) {
            world.fail(to + " rejected " + method + " from " + from + " as invalid: " + cause.getMessage());
          }
          if (!canSend(to, from) || random.nextDouble() < dropRate) {
            world.trace(to, () -> method + " reply -> " + from + " (lost)");
            return;
          }
          if (response != null) {
            s[3] += responseStates.applyAsInt(response);
          }
          world.schedule(caller, delay(to, from), () -> {
            if (cause != null) {
              result.completeExceptionally(cause);
            } else {
              result.complete(response);
            }
          });
        });
      });
    }
    return result;
  }

  private long delay(String from, String to) {
    boolean sameDc = nodes.get(from).dc.equals(nodes.get(to).dc);
    long micros = sameDc ? 50 + random.nextInt(950) : 5_000 + random.nextInt(25_000);
    if (slowRate > 0 && random.nextDouble() < slowRate) {
      micros += 50_000 + random.nextInt(1_450_000);
    }
    return micros * 1_000L;
  }
}
