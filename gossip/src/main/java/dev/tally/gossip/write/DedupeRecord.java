package dev.tally.gossip.write;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.crdt.ReplicaIds;
import java.util.List;
import java.util.Objects;

/**
 * What a node remembers about an applied request that carried a {@code request_id}: enough to
 * recognise a retry (kind, key and amount, or the batch's fingerprint), to answer it with the
 * original result, and (for the later step where request ids travel with deltas) which replica
 * applied it and when.
 *
 * @param requestId the client's id, 1..128 bytes of UTF-8
 * @param kind what the request was
 * @param key the counter key for INCREMENT / DECREMENT; empty for BATCH
 * @param batchFingerprint for BATCH, 64 hex digits of the SHA-256 of the items; empty otherwise
 * @param amount the unsigned magnitude for INCREMENT / DECREMENT; the item count for BATCH
 * @param replicaId the replica that applied it
 * @param appliedAtMillis the applying replica's clock when it applied
 * @param expiresAtMillis first instant at which the record no longer deduplicates (applied-at plus
 *     the dedupe window in force when it was applied)
 * @param results the values returned, one per change in request order (empty for a fence)
 * @param disposition what this node did with the request id (see {@link Disposition})
 * @param node for {@link Disposition#ELSEWHERE} the node whose application answered it; for
 *     {@link Disposition#FENCED} the node that is handling it; empty otherwise
 * @param unresolved prior nodes this node applied the request without reaching: while any are
 *     left the record never expires ({@link #NEVER}) and the background resolver asks them
 * @param changes the request's changes, kept while {@code unresolved} is not empty so that the
 *     node can undo its application (a batch record otherwise holds only a fingerprint)
 */
public record DedupeRecord(
    String requestId,
    Kind kind,
    String key,
    String batchFingerprint,
    long amount,
    long replicaId,
    long appliedAtMillis,
    long expiresAtMillis,
    List<AppliedValue> results,
    Disposition disposition,
    String node,
    List<String> unresolved,
    List<CounterChange> changes) {

  /** The expiry of a record still waiting for prior nodes: it is kept until they answer. */
  public static final long NEVER = Long.MAX_VALUE;

  /**
   * What the node did with a request id. Only {@link #APPLIED} counts the request on this node;
   * the codes are part of the storage format.
   */
  public enum Disposition {
    /** Applied here (and, while {@code unresolved} is not empty, maybe elsewhere too). */
    APPLIED(0),
    /** Another node had applied it (a retry named it): answered with that node's values, applied nothing here. */
    ELSEWHERE(1),
    /** Not applied here; another node resolved it and handles it, so an attempt arriving here is refused. */
    FENCED(2),
    /** Applied here, then undone here because another node's application of it counts. */
    COMPENSATED(3);

    private final int code;

    Disposition(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    public static Disposition ofCode(int code) {
      for (Disposition d : values()) {
        if (d.code == code) {
          return d;
        }
      }
      throw new IllegalArgumentException("unknown dedupe record disposition " + code);
    }
  }

  /** A record of a request applied here with no failover involved. */
  public DedupeRecord(String requestId, Kind kind, String key, String batchFingerprint, long amount, long replicaId,
      long appliedAtMillis, long expiresAtMillis, List<AppliedValue> results) {
    this(requestId, kind, key, batchFingerprint, amount, replicaId, appliedAtMillis, expiresAtMillis, results,
        Disposition.APPLIED, "", List.of(), List.of());
  }

  /** The request types a record can stand for; the codes are part of the storage format. */
  public enum Kind {
    INCREMENT(1),
    DECREMENT(2),
    BATCH(3);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    /** The code stored for this kind. */
    public int code() {
      return code;
    }

    public static Kind ofCode(int code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown dedupe record kind " + code);
    }
  }

  /** One returned counter value with its update time (0 when the key was never written). */
  public record AppliedValue(long value, long updatedAtMillis) {}

  public DedupeRecord {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(batchFingerprint, "batchFingerprint");
    results = List.copyOf(results);
    Objects.requireNonNull(disposition, "disposition");
    Objects.requireNonNull(node, "node");
    unresolved = List.copyOf(unresolved);
    changes = List.copyOf(changes);
    if (!unresolved.isEmpty() && (disposition != Disposition.APPLIED || expiresAtMillis != NEVER)) {
      throw new IllegalArgumentException("only an APPLIED record that never expires waits for prior nodes");
    }
    if (requestId.isEmpty()) {
      throw new IllegalArgumentException("requestId must not be empty");
    }
    if ((kind == Kind.BATCH) != key.isEmpty() || (kind == Kind.BATCH) == batchFingerprint.isEmpty()) {
      throw new IllegalArgumentException("a BATCH record has a fingerprint and no key, others a key and no fingerprint");
    }
  }

  public boolean liveAt(long nowMillis) {
    return nowMillis < expiresAtMillis;
  }

  /** True when this node's application of the request counts (applied and not undone). */
  public boolean counted() {
    return disposition == Disposition.APPLIED;
  }

  /** The same record with another disposition, unresolved nodes and expiry. */
  public DedupeRecord with(Disposition newDisposition, List<String> newUnresolved, long newExpiresAtMillis) {
    return new DedupeRecord(requestId, kind, key, batchFingerprint, amount, replicaId, appliedAtMillis,
        newExpiresAtMillis, results, newDisposition, node, newUnresolved, newUnresolved.isEmpty() ? List.of() : changes);
  }

  /**
   * The request's changes: from the record for a single change, from {@code changes} for a
   * batch (kept only while the record waits for prior nodes).
   */
  public List<CounterChange> requestChanges() {
    switch (kind) {
      case INCREMENT:
        return List.of(CounterChange.increment(key, amount));
      case DECREMENT:
        return List.of(CounterChange.decrement(key, amount));
      default:
        return changes;
    }
  }

  @Override
  public String toString() {
    return "DedupeRecord[" + requestId + " " + disposition + (node.isEmpty() ? "" : " (" + node + ")")
        + (unresolved.isEmpty() ? "" : " unresolved " + unresolved) + " " + kind + (kind == Kind.BATCH ? " of " + amount + " items" : " '" + key + "' by "
        + Long.toUnsignedString(amount)) + " on " + ReplicaIds.format(replicaId) + " at " + appliedAtMillis + "]";
  }
}
