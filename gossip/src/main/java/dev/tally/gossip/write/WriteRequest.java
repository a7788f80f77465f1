package dev.tally.gossip.write;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.LocalWrite;
import dev.tally.gossip.write.DedupeRecord.Kind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A validated client write on its way to the group commit, with the identity that a repeat of its
 * request id must match: kind, key and amount for a single change, or the SHA-256 fingerprint of a
 * batch's items.
 *
 * @param requestId empty when the client sent none (then the write is not deduplicated)
 * @param batchFingerprint for BATCH with a request id, 64 hex digits; empty otherwise
 */
public record WriteRequest(Kind kind, LocalWrite write, String requestId, String batchFingerprint, WriteRole role) {
  public WriteRequest {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(write, "write");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(batchFingerprint, "batchFingerprint");
    Objects.requireNonNull(role, "role");
    if (!(role instanceof WriteRole.Plain) && requestId.isEmpty()) {
      throw new IllegalArgumentException("failover steps need a request id");
    }
  }

  public WriteRequest(Kind kind, LocalWrite write, String requestId, String batchFingerprint) {
    this(kind, write, requestId, batchFingerprint, WriteRole.PLAIN);
  }

  /** This request in another role (a failover step of the same request). */
  public WriteRequest withRole(WriteRole newRole) {
    return new WriteRequest(kind, write, requestId, batchFingerprint, newRole);
  }

  /**
   * Another node's question about a request id it knows only by identity: a {@link
   * WriteRole.Fence} step, which changes no counter.
   */
  public static WriteRequest fence(Kind kind, String key, String batchFingerprint, long amount, String requestId,
      String handler) {
    return new WriteRequest(kind, LocalWrite.NONE, requestId, batchFingerprint,
        new WriteRole.Fence(handler, key, amount));
  }

  /**
   * The changes this step applies: the request's for a client write, none for a fence or a retry
   * answered from another node, the request's negated for a compensation.
   */
  public LocalWrite applied() {
    if (role instanceof WriteRole.Plain || role instanceof WriteRole.ApplyAfterResolution) {
      return write;
    }
    if (role instanceof WriteRole.Settle settle && settle.compensate()) {
      List<CounterChange> undo = new java.util.ArrayList<>(write.changes().size());
      for (CounterChange c : write.changes()) {
        undo.add(c.decrement() ? CounterChange.increment(c.key(), c.amount()) : CounterChange.decrement(c.key(), c.amount()));
      }
      return new LocalWrite(undo);
    }
    return LocalWrite.NONE;
  }

  public static WriteRequest increment(String key, long amount, String requestId) {
    return new WriteRequest(Kind.INCREMENT, LocalWrite.of(CounterChange.increment(key, amount)), requestId, "");
  }

  public static WriteRequest decrement(String key, long amount, String requestId) {
    return new WriteRequest(Kind.DECREMENT, LocalWrite.of(CounterChange.decrement(key, amount)), requestId, "");
  }

  /** A batch; its fingerprint is computed only when a request id makes it needed. */
  public static WriteRequest batch(List<CounterChange> changes, String requestId) {
    return new WriteRequest(Kind.BATCH, new LocalWrite(changes), requestId,
        requestId.isEmpty() ? "" : fingerprint(changes));
  }

  public boolean hasRequestId() {
    return !requestId.isEmpty();
  }

  /** The key of a single-change write; empty for a batch. */
  public String key() {
    if (role instanceof WriteRole.Fence f) {
      return f.key();
    }
    return kind == Kind.BATCH ? "" : write.changes().get(0).key();
  }

  /** The unsigned amount of a single-change write; the item count of a batch. */
  public long amount() {
    if (role instanceof WriteRole.Fence f) {
      return f.amount();
    }
    return kind == Kind.BATCH ? write.changes().size() : write.changes().get(0).amount();
  }

  /** True when a stored record stands for this same request. */
  public boolean sameRequestAs(DedupeRecord record) {
    return record.kind() == kind && record.key().equals(key()) && record.amount() == amount()
        && record.batchFingerprint().equals(batchFingerprint);
  }

  /** True when another request with the same id is this same request. */
  public boolean sameRequestAs(WriteRequest other) {
    return other.kind == kind && other.key().equals(key()) && other.amount() == amount()
        && other.batchFingerprint.equals(batchFingerprint);
  }

  /** How an error message names this request: {@code Increment of key 'k' by 5}. */
  public String describe() {
    return describe(kind, key(), amount());
  }

  static String describe(Kind kind, String key, long amount) {
    String shortKey = key.length() > 64 ? key.substring(0, 64) + "..." : key;
    switch (kind) {
      case INCREMENT:
        return "Increment of key '" + shortKey + "' by " + Long.toUnsignedString(amount);
      case DECREMENT:
        return "Decrement of key '" + shortKey + "' by " + Long.toUnsignedString(amount);
      default:
        return "IncrementMany of " + amount + " items";
    }
  }

  /** SHA-256 over every item's key length, key bytes, sign and amount, in order. */
  static String fingerprint(List<CounterChange> changes) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
    ByteBuffer fixed = ByteBuffer.allocate(13);
    for (CounterChange c : changes) {
      byte[] key = c.key().getBytes(StandardCharsets.UTF_8);
      fixed.clear();
      fixed.putInt(key.length).put((byte) (c.decrement() ? 1 : 0)).putLong(c.amount());
      sha.update(fixed.array(), 0, 4);
      sha.update(key);
      sha.update(fixed.array(), 4, 9);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
