package dev.tally.gossip.failover;

import dev.tally.gossip.crdt.StateMessages;
import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.GroupCommitWriter;
import dev.tally.gossip.write.WriteException;
import dev.tally.gossip.write.WriteRequest;
import dev.tally.gossip.write.WriteStore;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.RequestIdentity;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import dev.tally.peer.v1.ResolveRequestResponse.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * The asked node's side of {@code ResolveRequest}: one {@link WriteRequest#fence} step on this
 * node's write pipeline, then the answer from the durable record that step left. The step either
 * found the request id (applied here, in this group, in flight, or recorded as handled elsewhere)
 * or wrote a fence naming the asker, so the answer and the fence are one atomic decision: an
 * attempt that is still queued here is ordered before it (and reported as applied) or after it
 * (and refused).
 *
 * <p>Threads: {@link #answer} runs on any thread; its future completes on the replica thread.
 */
public final class ResolveResponder {
  /** Most keys an asker may ask states for (an IncrementMany has at most 1000 items). */
  public static final int MAX_KEYS = 1000;

  private final NodeRef self;
  private final GroupCommitWriter writer;
  private final WriteStore store;
  private final LongSupplier remembersSince;

  /**
   * @param remembersSince this node's clock (ms) from which its records are complete: its data
   *     dir's creation, or its last change of replica id, whichever is later
   */
  public ResolveResponder(NodeRef self, GroupCommitWriter writer, WriteStore store, LongSupplier remembersSince) {
    this.self = self;
    this.writer = writer;
    this.store = store;
    this.remembersSince = remembersSince;
  }

  /** Fails with {@link IllegalArgumentException} for a malformed question (nothing is written). */
  public CompletableFuture<ResolveRequestResponse> answer(ResolveRequestRequest q) {
    WriteRequest fence;
    try {
      fence = fenceFor(q);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return writer.submit(fence).handle((outcome, error) -> {
      if (error != null) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof WriteException w && w.reason() == WriteException.Reason.REQUEST_ID_REUSED) {
          return ResolveRequestResponse.newBuilder().setOutcome(Outcome.MISMATCH).setDescribe(w.getMessage()).build();
        }
        throw e instanceof RuntimeException r ? r : new CompletionException(e);
      }
      Optional<DedupeRecord> record = store.findDedupe(fence.requestId());
      if (record.isEmpty()) {
        // The step's record is durable before it completes; an expired one is swept only later.
        throw new IllegalStateException("no record of request id '" + fence.requestId() + "' after its fence step");
      }
      return fromRecord(record.get(), q);
    });
  }

  private ResolveRequestResponse fromRecord(DedupeRecord r, ResolveRequestRequest q) {
    ResolveRequestResponse.Builder b = ResolveRequestResponse.newBuilder().setFrom(self)
        .setRemembersSinceMs(remembersSince.getAsLong());
    if (r.disposition() == DedupeRecord.Disposition.FENCED) {
      return b.setOutcome(Outcome.FENCED).setNode(r.node()).build();
    }
    b.setOutcome(Outcome.APPLIED)
        .setCounted(r.counted())
        .addAllUnresolved(r.unresolved())
        .addAllValues(RequestIdentities.values(r.results()))
        .setNode(r.disposition() == DedupeRecord.Disposition.ELSEWHERE ? r.node() : self.getName());
    for (String key : q.getKeysList()) {
      b.addStates(StateMessages.toMessage(key, store.get(key)));
    }
    return b.build();
  }

  private static WriteRequest fenceFor(ResolveRequestRequest q) {
    RequestIdentity id = q.getRequest();
    int idBytes = id.getRequestIdBytes().size();
    if (idBytes < 1 || idBytes > 128) {
      throw new IllegalArgumentException("request_id must be 1..128 bytes, got " + idBytes);
    }
    if (q.getKeysCount() > MAX_KEYS) {
      throw new IllegalArgumentException("at most " + MAX_KEYS + " keys, got " + q.getKeysCount());
    }
    if (q.getFrom().getName().isEmpty()) {
      throw new IllegalArgumentException("from.name must name the asking node");
    }
    DedupeRecord.Kind kind = RequestIdentities.kind(id.getKind());
    boolean batch = kind == DedupeRecord.Kind.BATCH;
    if (batch != id.getKey().isEmpty() || batch != id.getBatchFingerprint().matches("[0-9a-f]{64}")
        || (!batch && !id.getBatchFingerprint().isEmpty())) {
      throw new IllegalArgumentException("a BATCH identity has a 64-hex-digit fingerprint and no key, others a key");
    }
    if (id.getKey().getBytes(StandardCharsets.UTF_8).length > 4096) {
      throw new IllegalArgumentException("key longer than 4096 bytes");
    }
    return WriteRequest.fence(kind, id.getKey(), id.getBatchFingerprint(), id.getAmount(), id.getRequestId(),
        q.getFrom().getName());
  }
}
