package dev.tally.node.api;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetManyResponse;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.quorum.QuorumException;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.config.Durations;
import dev.tally.node.storage.StoreHealth;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteOutcome;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.api.v1.FailoverResolution;
import dev.tally.gossip.failover.FailoverCoordinator;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tally.v1.CounterService} on one node.
 *
 * <p>Threads: handlers run on gRPC's event loops (the server uses {@code directExecutor}) and never
 * block there, nor read the store there. Writes are validated, queued on the {@link
 * GroupCommitWriter}, and answered from the replica thread when their group is durable. LOCAL reads
 * are validated on the event loop and read on the {@link ReadExecutor} (one hand-off, a few
 * microseconds; a RocksDB point read from the memtable or block cache stays sub-millisecond, one
 * that goes to disk holds up only that pool). Watch registration and QUORUM reads read on the
 * replica thread.
 *
 * <p>Consistency: LOCAL reads answer from this node's store; LOCAL writes are acknowledged once
 * durable here. QUORUM reads ask a majority of the DC ({@link Replica#quorumRead}, which keeps the
 * merge: read repair). QUORUM writes commit locally first (in the group commit, as LOCAL) and then
 * wait until a majority of the DC holds the keys' states durably
 * ({@link Replica#replicateCommittedToQuorum}); when that fails the write stays applied and the
 * status says so. A retry whose request id is already recorded waits for the majority again, so
 * it can succeed once the DC is reachable, and still counts once. Quorum futures complete on the
 * replica thread, which only sends the answer.
 *
 * <p>Store failures: while {@link StoreHealth} says the store refuses writes (a full or failing
 * disk), writes are refused before they are queued, with RESOURCE_EXHAUSTED for a full disk and
 * UNAVAILABLE otherwise, naming the cause; reads go on. Writes already queued when the store
 * failed get the same codes from the group commit.
 */
public final class CounterServiceImpl extends CounterServiceGrpc.CounterServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CounterServiceImpl.class);
  /**
   * What a caller learns of an unexpected failure: the exception (class, message, stack) goes to
   * this node's log only, since its text may carry internals or another caller's data (issue 13).
   */
  static final String INTERNAL_ERROR = "internal error (the details are in this node's log)";

  private final Replica replica;
  private final GroupCommitWriter writer;
  private final WatchHub watches;
  private final QuorumContext quorum;
  private final StoreHealth storeHealth;
  private final ReadExecutor reads;
  private final FailoverCoordinator failover;
  private final boolean waitByDefault;
  private final Duration resolveTimeout;

  /**
   * @param failover resolves retries that name prior nodes
   * @param waitByDefault the node's {@code failover-resolution} is {@code wait}
   * @param resolveTimeout the node's {@code failover-resolve-timeout}
   */
  public CounterServiceImpl(Replica replica, GroupCommitWriter writer, WatchHub watches, QuorumContext quorum,
      StoreHealth storeHealth, ReadExecutor reads, FailoverCoordinator failover, boolean waitByDefault,
      Duration resolveTimeout) {
    this.failover = failover;
    this.waitByDefault = waitByDefault;
    this.resolveTimeout = resolveTimeout;
    this.reads = reads;
    this.replica = replica;
    this.writer = writer;
    this.watches = watches;
    this.quorum = quorum;
    this.storeHealth = storeHealth;
  }

  @Override
  public void increment(IncrementRequest req, StreamObserver<CounterValue> responses) {
    WriteRequest write;
    Retry retry;
    try {
      RequestValidator.key("key", req.getKeyBytes());
      long amount = RequestValidator.amount(req.hasAmount(), req.getAmount());
      String requestId = ScopedRequestIds.scope(RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId()));
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.increment(req.getKey(), amount, requestId);
      retry = retry(requestId, req.getPriorNodesList(), req.getFailoverResolution(), req.getFailoverResolutionValue());
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    submitSingle(req.getKey(), write, req.getRequestId(), retry, isQuorum(req.getConsistency()), responses);
  }

  @Override
  public void decrement(DecrementRequest req, StreamObserver<CounterValue> responses) {
    WriteRequest write;
    Retry retry;
    try {
      RequestValidator.key("key", req.getKeyBytes());
      long amount = RequestValidator.amount(req.hasAmount(), req.getAmount());
      String requestId = ScopedRequestIds.scope(RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId()));
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.decrement(req.getKey(), amount, requestId);
      retry = retry(requestId, req.getPriorNodesList(), req.getFailoverResolution(), req.getFailoverResolutionValue());
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    submitSingle(req.getKey(), write, req.getRequestId(), retry, isQuorum(req.getConsistency()), responses);
  }

  @Override
  public void incrementMany(IncrementManyRequest req, StreamObserver<IncrementManyResponse> responses) {
    WriteRequest write;
    Retry retry;
    List<String> keys;
    try {
      RequestValidator.batchSize("items", req.getItemsCount(), "IncrementMany");
      keys = new ArrayList<>(req.getItemsCount());
      List<CounterChange> changes = new ArrayList<>(req.getItemsCount());
      for (int i = 0; i < req.getItemsCount(); i++) {
        IncrementManyRequest.Item item = req.getItems(i);
        RequestValidator.key("items[" + i + "].key", item.getKeyBytes());
        long amount = RequestValidator.itemAmount(i, item.hasAmount(), item.getAmount());
        // The magnitude of Long.MIN_VALUE is 2^63, which -amount gives as an unsigned value.
        changes.add(amount > 0 ? CounterChange.increment(item.getKey(), amount)
            : CounterChange.decrement(item.getKey(), -amount));
        keys.add(item.getKey());
      }
      String requestId = ScopedRequestIds.scope(RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId()));
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.batch(changes, requestId);
      retry = retry(requestId, req.getPriorNodesList(), req.getFailoverResolution(), req.getFailoverResolutionValue());
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    boolean quorumWrite = isQuorum(req.getConsistency());
    submit(write, req.getRequestId(), retry, keys, quorumWrite, i -> "items[" + i + "] (key '" + CounterValues.shorten(keys.get(i)) + "')", responses,
        outcome -> {
          IncrementManyResponse.Builder b = IncrementManyResponse.newBuilder();
          List<AppliedValue> values = outcome.values();
          for (int i = 0; i < values.size(); i++) {
            b.addValues(CounterValues.of(keys.get(i), values.get(i).value(), values.get(i).updatedAtMillis()));
          }
          return b.build();
        });
  }

  @Override
  public void get(GetRequest req, StreamObserver<CounterValue> responses) {
    try {
      RequestValidator.key("key", req.getKeyBytes());
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      if (isQuorum(req.getConsistency())) {
        quorumRead(List.of(req.getKey()), responses, states -> CounterValues.of(req.getKey(), states.get(0).state()));
        return;
      }
      readOffTheEventLoop(responses, () -> read(req.getKey()));
    } catch (StatusRuntimeException e) {
      responses.onError(e);
    }
  }

  @Override
  public void getMany(GetManyRequest req, StreamObserver<GetManyResponse> responses) {
    GetManyResponse.Builder b = GetManyResponse.newBuilder();
    try {
      RequestValidator.batchSize("keys", req.getKeysCount(), "GetMany");
      for (int i = 0; i < req.getKeysCount(); i++) {
        RequestValidator.key("keys[" + i + "]", req.getKeysBytes(i));
      }
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      if (isQuorum(req.getConsistency())) {
        quorumRead(req.getKeysList(), responses, states -> {
          for (KeyState ks : states) {
            b.addValues(CounterValues.of(ks.key(), ks.state()));
          }
          return b.build();
        });
        return;
      }
      readOffTheEventLoop(responses, () -> {
        for (int i = 0; i < req.getKeysCount(); i++) {
          b.addValues(read(req.getKeys(i)));
        }
        return b.build();
      });
    } catch (StatusRuntimeException e) {
      responses.onError(e);
    }
  }

  /**
   * Runs a store read on the {@link ReadExecutor} and answers from there; a call cancelled while
   * queued is not read at all.
   *
   * @throws StatusRuntimeException when the executor refuses the read
   */
  private <T> void readOffTheEventLoop(StreamObserver<T> responses, Supplier<T> answer) {
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) responses;
    reads.execute(() -> {
      if (call.isCancelled()) {
        return;
      }
      try {
        respond(responses, answer);
      } catch (RuntimeException e) {
        log.error("unexpected read failure", e);
        responses.onError(Status.INTERNAL.withDescription(INTERNAL_ERROR).asRuntimeException());
      }
    });
  }

  @Override
  public void watch(WatchRequest req, StreamObserver<CounterValue> responses) {
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    try {
      RequestValidator.batchSize("keys", req.getKeysCount(), "Watch");
      for (int i = 0; i < req.getKeysCount(); i++) {
        RequestValidator.key("keys[" + i + "]", req.getKeysBytes(i));
        keys.add(req.getKeys(i));
      }
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    watches.open(List.copyOf(keys), (ServerCallStreamObserver<CounterValue>) responses);
  }

  private CounterValue read(String key) {
    try {
      return CounterValues.of(key, replica.read(key));
    } catch (StoreException e) {
      throw Status.UNAVAILABLE.withDescription("this node could not read its store: " + e.getMessage())
          .asRuntimeException();
    }
  }

  private void submitSingle(String key, WriteRequest write, String clientRequestId, Retry retry, boolean quorumWrite,
      StreamObserver<CounterValue> responses) {
    submit(write, clientRequestId, retry, List.of(key), quorumWrite, i -> "key '" + CounterValues.shorten(key) + "'", responses, outcome -> {
      AppliedValue v = outcome.values().get(0);
      return CounterValues.of(key, v.value(), v.updatedAtMillis());
    });
  }

  /**
   * Queues a write for the group commit; under QUORUM, once it is durable here (or was already
   * applied under its request id), waits until a majority of the DC holds the keys' states.
   * Failures quote {@code clientRequestId}, the id as the client sent it, not its scoped form.
   */
  private <T> void submit(WriteRequest write, String clientRequestId, Retry retry, List<String> keys, boolean quorumWrite,
      Function<Integer, String> where, StreamObserver<T> responses, Function<WriteOutcome, T> answer) {
    java.util.Optional<StoreHealth.Problem> storeProblem = storeHealth.problem();
    if (storeProblem.isPresent()) {
      responses.onError(refusedByStore(storeProblem.get()));
      return;
    }
    if (quorumWrite && !quorum.membershipEstablished().getAsBoolean()) {
      responses.onError(notEstablished("write", "nothing was applied; retry"));
      return;
    }
    CompletableFuture<WriteOutcome> outcomeFuture = retry.targets().isEmpty() ? writer.submit(write)
        : failover.submit(write, retry.targets(), retry.waitMode(), askTimeout());
    outcomeFuture.whenComplete((WriteOutcome outcome, Throwable error) -> {
      if (error != null) {
        responses.onError(ScopedRequestIds.showClientId(toStatus(error, where), write.requestId(), clientRequestId));
        return;
      }
      if (!quorumWrite) {
        respond(responses, () -> answer.apply(outcome));
        return;
      }
      replica.replicateCommittedToQuorum(keys).whenComplete((ok, quorumError) -> {
        if (quorumError != null) {
          responses.onError(quorumWriteFailure(quorumError, write));
        } else {
          respond(responses, () -> answer.apply(outcome));
        }
      });
    });
  }

  /** A retry's prior nodes to ask (empty for a first attempt) and what to do if they cannot be asked. */
  private record Retry(List<String> targets, boolean waitMode) {
    static final Retry NONE = new Retry(List.of(), false);
  }

  /** Validates prior_nodes and failover_resolution; INVALID_ARGUMENT names the field. */
  private Retry retry(String requestId, List<String> priorNodes, FailoverResolution mode, int modeValue) {
    if (modeValue < 0 || modeValue > FailoverResolution.FAILOVER_RESOLUTION_WAIT_VALUE) {
      throw Status.INVALID_ARGUMENT.withDescription("failover_resolution " + modeValue
          + " is not one of FAILOVER_RESOLUTION_UNSPECIFIED, _AVAILABLE or _WAIT").asRuntimeException();
    }
    if (priorNodes.isEmpty()) {
      return Retry.NONE;
    }
    if (requestId.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("prior_nodes needs a request_id: a retry names the nodes earlier"
          + " attempts of the same request_id went to; nothing was applied").asRuntimeException();
    }
    for (int i = 0; i < priorNodes.size(); i++) {
      String n = priorNodes.get(i);
      if (n.isEmpty() || n.length() > 253) {
        throw Status.INVALID_ARGUMENT.withDescription("prior_nodes[" + i + "] must be a node name of 1..253 characters"
            + " or \"*\"; nothing was applied").asRuntimeException();
      }
    }
    List<String> targets;
    try {
      targets = failover.targets(priorNodes);
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage() + "; nothing was applied").asRuntimeException();
    }
    boolean waitMode = mode == FailoverResolution.FAILOVER_RESOLUTION_WAIT
        || (mode != FailoverResolution.FAILOVER_RESOLUTION_AVAILABLE && waitByDefault);
    return new Retry(targets, waitMode);
  }

  /** The node's failover-resolve-timeout, never more than half of what is left of the call's deadline. */
  private Duration askTimeout() {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return resolveTimeout;
    }
    long half = Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS) / 2);
    return Duration.ofMillis(Math.min(resolveTimeout.toMillis(), half));
  }

  private <T> void quorumRead(List<String> keys, StreamObserver<T> responses, Function<List<KeyState>, T> answer) {
    if (!quorum.membershipEstablished().getAsBoolean()) {
      throw notEstablished("read", "retry, or read with LOCAL consistency");
    }
    replica.quorumRead(keys).whenComplete((states, error) -> {
      if (error != null) {
        responses.onError(quorumReadFailure(error));
      } else {
        respond(responses, () -> answer.apply(states));
      }
    });
  }

  private static <T> void respond(StreamObserver<T> responses, Supplier<T> answer) {
    T value;
    try {
      value = answer.get();
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }

  private static boolean isQuorum(Consistency consistency) {
    return consistency == Consistency.CONSISTENCY_QUORUM;
  }

  private StatusRuntimeException notEstablished(String operation, String advice) {
    return Status.UNAVAILABLE.withDescription("QUORUM " + operation + " on node " + quorum.nodeName()
        + ": membership not established yet (this node has not heard from any member of the cluster, so it cannot"
        + " tell how many replicas dc " + quorum.dc() + " has); " + advice).asRuntimeException();
  }

  /** The status of a QUORUM write that is durable here but did not reach a majority. */
  private StatusRuntimeException quorumWriteFailure(Throwable error, WriteRequest write) {
    Throwable e = unwrap(error);
    String retry = write.hasRequestId()
        ? "retrying with the same request_id is safe"
        : "the call had no request_id, so a retry would count it again (send request ids to make retries safe)";
    String prefix = "QUORUM write applied locally on node " + quorum.nodeName() + "; ";
    if (e instanceof QuorumException q) {
      Status status = q.timedOut() ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE;
      return status.withDescription(prefix + confirmation(q, "confirmed by") + "; it keeps replicating and " + retry)
          .asRuntimeException();
    }
    if (e instanceof IllegalStateException) {
      return Status.UNAVAILABLE.withDescription(prefix + "the node stopped before a majority of dc " + quorum.dc()
          + " confirmed it (" + e.getMessage() + "); " + retry).asRuntimeException();
    }
    log.error("unexpected QUORUM write failure", e);
    return Status.INTERNAL.withDescription(prefix + "waiting for a majority failed: " + INTERNAL_ERROR + "; " + retry)
        .asRuntimeException();
  }

  private StatusRuntimeException quorumReadFailure(Throwable error) {
    Throwable e = unwrap(error);
    String prefix = "QUORUM read on node " + quorum.nodeName() + ": ";
    if (e instanceof QuorumException q) {
      Status status = q.timedOut() ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE;
      return status.withDescription(prefix + confirmation(q, "answered by") + "; retry, or read with LOCAL consistency")
          .asRuntimeException();
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(prefix + e.getMessage()).asRuntimeException();
    }
    if (e instanceof IllegalStateException || e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription(prefix + e.getMessage()).asRuntimeException();
    }
    log.error("unexpected QUORUM read failure", e);
    return Status.INTERNAL.withDescription(prefix + "failed: " + INTERNAL_ERROR).asRuntimeException();
  }

  /** "confirmed by 1 of 2 replicas needed in dc1 within 2s" and the like, from what the engine reports. */
  private String confirmation(QuorumException q, String verb) {
    String needed = verb + " " + q.acks() + " of " + q.needed() + " replicas needed in dc " + quorum.dc()
        + " (a majority of its " + q.dcSize() + " members, "
        + (q.selfCounted() ? "this node included)" : "without this node: " + QuorumException.NOT_CAUGHT_UP + ")");
    switch (q.reason()) {
      case TIMED_OUT:
        return needed + " within " + Durations.format(quorum.quorumTimeout());
      case TOO_FEW_ALIVE:
        return needed + ": fewer members of dc " + quorum.dc() + " than that are alive";
      case PEERS_FAILED:
      default:
        return needed + ": the other live members failed to answer";
    }
  }

  /** The kind of the store failure behind a write failure, OTHER when there is none. */
  private static StoreException.Kind storeKind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreException s) {
        return s.kind();
      }
    }
    return StoreException.Kind.OTHER;
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }

  /** A write refused up front because the store refuses writes: nothing was applied. */
  private StatusRuntimeException refusedByStore(StoreHealth.Problem p) {
    Status code = p.kind() == StoreException.Kind.NO_SPACE ? Status.RESOURCE_EXHAUSTED : Status.UNAVAILABLE;
    return code.withDescription("node " + quorum.nodeName() + " cannot store writes: " + p.describe()
        + "; nothing was applied: retry on another node, or here once its health is SERVING again").asRuntimeException();
  }

  /** The status for a failed write; {@code where} names the overflowing change for OUT_OF_RANGE. */
  static StatusRuntimeException toStatus(Throwable error, Function<Integer, String> where) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (!(e instanceof WriteException w)) {
      log.error("unexpected write failure", e);
      return Status.INTERNAL.withDescription(INTERNAL_ERROR).asRuntimeException();
    }
    switch (w.reason()) {
      case OVERLOADED:
        return Status.RESOURCE_EXHAUSTED.withDescription(w.getMessage()).asRuntimeException();
      case OVERFLOW:
        return Status.OUT_OF_RANGE.withDescription(where.apply(Math.max(0, w.changeIndex())) + ": " + w.getMessage()
            + "; nothing was applied").asRuntimeException();
      case REQUEST_ID_REUSED:
        return Status.INVALID_ARGUMENT.withDescription(w.getMessage()).asRuntimeException();
      case FENCED:
      case STALE:
        return Status.ABORTED.withDescription(w.getMessage()).asRuntimeException();
      case NOT_CONFIRMED:
        return Status.UNAVAILABLE.withDescription(w.getMessage()).asRuntimeException();
      case STORAGE_FAILED:
        // A full disk is the client's RESOURCE_EXHAUSTED (back off); any other store failure UNAVAILABLE.
        return (storeKind(w) == StoreException.Kind.NO_SPACE ? Status.RESOURCE_EXHAUSTED : Status.UNAVAILABLE)
            .withDescription(w.getMessage()).asRuntimeException();
      case SHUTTING_DOWN:
      case STARTING:
      default:
        return Status.UNAVAILABLE.withDescription(w.getMessage()).asRuntimeException();
    }
  }
}
