package dev.tally.gossip.write;

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
 * @param results the values returned, one per change in request order
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
    List<AppliedValue> results) {

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

  @Override
  public String toString() {
    return "DedupeRecord[" + requestId + " " + kind + (kind == Kind.BATCH ? " of " + amount + " items" : " '" + key + "' by "
        + Long.toUnsignedString(amount)) + " on " + ReplicaIds.format(replicaId) + " at " + appliedAtMillis + "]";
  }
}
