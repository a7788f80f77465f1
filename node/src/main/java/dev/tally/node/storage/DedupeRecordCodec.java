package dev.tally.node.storage;

import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecords;
import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Storage encoding of a {@link DedupeRecord} (the request id is the RocksDB key, not repeated):
 *
 * <pre>
 *   byte    format (1)
 *   8 bytes expires-at millis, big-endian (fixed offset 1, so the sweeper reads it without decoding)
 *   byte    kind code
 *   8 bytes applying replica id, big-endian
 *   varint  applied-at millis
 *   varint  amount (unsigned)
 *   varint  key length, key UTF-8 bytes
 *   varint  fingerprint length, fingerprint bytes
 *   varint  result count; per result: zigzag varint value, varint updated-at millis
 *   -- format 2 adds (exactly-once across failover):
 *   byte    disposition code
 *   varint  node length, node UTF-8 bytes
 *   varint  unresolved count; per node: varint length, UTF-8 bytes
 *   varint  change count; per change: varint key length, key bytes, byte 1 = decrement, varint amount
 * </pre>
 *
 * New fields go at the end under a new format byte, so old records stay readable: a format-1
 * record reads as APPLIED with nothing unresolved.
 */
public final class DedupeRecordCodec {
  static final int FORMAT = 2;
  private static final int FORMAT_1 = 1;

  private DedupeRecordCodec() {}

  public static byte[] encode(DedupeRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 10 * r.results().size());
    out.write(FORMAT);
    putLong(out, r.expiresAtMillis());
    out.write(r.kind().code());
    putLong(out, r.replicaId());
    putVarint(out, r.appliedAtMillis());
    putVarint(out, r.amount());
    byte[] key = r.key().getBytes(StandardCharsets.UTF_8);
    putVarint(out, key.length);
    out.writeBytes(key);
    byte[] fp = HexFormat.of().parseHex(r.batchFingerprint());
    putVarint(out, fp.length);
    out.writeBytes(fp);
    putVarint(out, r.results().size());
    for (AppliedValue v : r.results()) {
      putVarint(out, (v.value() << 1) ^ (v.value() >> 63));
      putVarint(out, v.updatedAtMillis());
    }
    out.write(r.disposition().code());
    putString(out, r.node());
    putVarint(out, r.unresolved().size());
    for (String n : r.unresolved()) {
      putString(out, n);
    }
    putVarint(out, r.changes().size());
    for (CounterChange c : r.changes()) {
      putString(out, c.key());
      out.write(c.decrement() ? 1 : 0);
      putVarint(out, c.amount());
    }
    return out.toByteArray();
  }

  /** @throws IllegalArgumentException if the bytes are not a record of a known format */
  public static DedupeRecord decode(String requestId, byte[] bytes) {
    Reader in = new Reader(bytes);
    int format = in.readByte() & 0xFF;
    if (format != FORMAT && format != FORMAT_1) {
      throw new IllegalArgumentException("unknown dedupe record format " + format + " (this build reads 1 and " + FORMAT + ")");
    }
    long expiresAt = in.readLong();
    DedupeRecord.Kind kind = DedupeRecord.Kind.ofCode(in.readByte() & 0xFF);
    long replica = in.readLong();
    long appliedAt = in.readVarint();
    long amount = in.readVarint();
    String key = new String(in.readBytes(checkedLength(in.readVarint(), bytes.length)), StandardCharsets.UTF_8);
    String fp = HexFormat.of().formatHex(in.readBytes(checkedLength(in.readVarint(), bytes.length)));
    int count = checkedLength(in.readVarint(), bytes.length);
    List<AppliedValue> results = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long zz = in.readVarint();
      results.add(new AppliedValue((zz >>> 1) ^ -(zz & 1), in.readVarint()));
    }
    DedupeRecord.Disposition disposition = DedupeRecord.Disposition.APPLIED;
    String node = "";
    List<String> unresolved = List.of();
    List<CounterChange> changes = List.of();
    if (format >= 2) {
      disposition = DedupeRecord.Disposition.ofCode(in.readByte() & 0xFF);
      node = in.readString(bytes.length);
      int n = checkedLength(in.readVarint(), bytes.length);
      unresolved = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        unresolved.add(in.readString(bytes.length));
      }
      int c = checkedLength(in.readVarint(), bytes.length);
      changes = new ArrayList<>(c);
      for (int i = 0; i < c; i++) {
        String k = in.readString(bytes.length);
        boolean decrement = in.readByte() == 1;
        long a = in.readVarint();
        changes.add(decrement ? CounterChange.decrement(k, a) : CounterChange.increment(k, a));
      }
    }
    if (in.pos != bytes.length) {
      throw new IllegalArgumentException((bytes.length - in.pos) + " trailing bytes in dedupe record " + requestId);
    }
    return new DedupeRecord(requestId, kind, key, fp, amount, replica, appliedAt, expiresAt, results, disposition, node,
        unresolved, changes);
  }

  /** The expiry of an encoded record, read at its fixed offset. */
  static long expiresAt(byte[] bytes) {
    if (bytes.length < 9 || (bytes[0] != FORMAT && bytes[0] != FORMAT_1)) {
      throw new IllegalArgumentException("not a dedupe record of format 1 or " + FORMAT);
    }
    return new Reader(bytes, 1).readLong();
  }

  private static int checkedLength(long n, int total) {
    if (n < 0 || n > total) {
      throw new IllegalArgumentException("bad length " + n + " in a " + total + "-byte dedupe record");
    }
    return (int) n;
  }

  private static void putLong(ByteArrayOutputStream out, long v) {
    for (int s = 56; s >= 0; s -= 8) {
      out.write((int) (v >>> s));
    }
  }

  private static void putString(ByteArrayOutputStream out, String v) {
    byte[] b = v.getBytes(StandardCharsets.UTF_8);
    putVarint(out, b.length);
    out.writeBytes(b);
  }

  private static void putVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static final class Reader {
    private final byte[] bytes;
    private int pos;

    Reader(byte[] bytes) {
      this(bytes, 0);
    }

    Reader(byte[] bytes, int pos) {
      this.bytes = bytes;
      this.pos = pos;
    }

    byte readByte() {
      if (pos >= bytes.length) {
        throw new IllegalArgumentException("truncated dedupe record at byte " + pos);
      }
      return bytes[pos++];
    }

    long readLong() {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (readByte() & 0xFF);
      }
      return v;
    }

    byte[] readBytes(int n) {
      if (bytes.length - pos < n) {
        throw new IllegalArgumentException("truncated dedupe record at byte " + pos);
      }
      byte[] out = java.util.Arrays.copyOfRange(bytes, pos, pos + n);
      pos += n;
      return out;
    }

    String readString(int total) {
      return new String(readBytes(checkedLength(readVarint(), total)), StandardCharsets.UTF_8);
    }

    long readVarint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = readByte();
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
    }
  }
}
