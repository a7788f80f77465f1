package dev.tally.gossip.crdt;

import java.util.Arrays;

/**
 * The storage encoding of a {@link PnCounter}: compact and canonical.
 *
 * <pre>
 *   byte    format (1)
 *   varint  entry count
 *   per entry, in unsigned replica order:
 *     8 bytes  replica id, big-endian
 *     varint   P (unsigned LEB128)
 *     varint   N
 *     varint   updated-at millis
 * </pre>
 *
 * A three-replica counter with small totals takes about 40 bytes. Decoding rejects anything that
 * is not exactly this shape (unknown format, unsorted or repeated replicas, trailing bytes), so a
 * corrupt value fails loudly instead of being merged.
 */
public final class PnCounterCodec {
  public static final byte FORMAT = 1;

  private PnCounterCodec() {}

  public static byte[] encode(PnCounter state) {
    long[] r = state.replicasArray();
    long[] p = state.psArray();
    long[] n = state.nsArray();
    long[] t = state.timesArray();
    byte[] buf = new byte[1 + 5 + r.length * (8 + 10 + 10 + 10)];
    int pos = 0;
    buf[pos++] = FORMAT;
    pos = putVarint(buf, pos, r.length);
    for (int i = 0; i < r.length; i++) {
      long id = r[i];
      for (int s = 56; s >= 0; s -= 8) {
        buf[pos++] = (byte) (id >>> s);
      }
      pos = putVarint(buf, pos, p[i]);
      pos = putVarint(buf, pos, n[i]);
      pos = putVarint(buf, pos, t[i]);
    }
    return Arrays.copyOf(buf, pos);
  }

  /** @throws IllegalArgumentException if {@code bytes} is not a valid encoding */
  public static PnCounter decode(byte[] bytes) {
    Reader in = new Reader(bytes);
    int format = in.readByte();
    if (format != FORMAT) {
      throw new IllegalArgumentException("unknown counter format " + format + " (this build reads " + FORMAT + ")");
    }
    long count = in.readVarint();
    if (count < 0 || count > bytes.length / 11) {
      throw new IllegalArgumentException("bad entry count " + count + " for " + bytes.length + " bytes");
    }
    int size = (int) count;
    long[] r = new long[size];
    long[] p = new long[size];
    long[] n = new long[size];
    long[] t = new long[size];
    for (int i = 0; i < size; i++) {
      long id = 0;
      for (int b = 0; b < 8; b++) {
        id = (id << 8) | (in.readByte() & 0xFF);
      }
      if (id == 0) {
        throw new IllegalArgumentException("replica id 0 in entry " + i);
      }
      if (i > 0 && Long.compareUnsigned(r[i - 1], id) >= 0) {
        throw new IllegalArgumentException("replica ids out of order at entry " + i);
      }
      r[i] = id;
      p[i] = in.readVarint();
      n[i] = in.readVarint();
      t[i] = in.readVarint();
    }
    if (in.pos != bytes.length) {
      throw new IllegalArgumentException((bytes.length - in.pos) + " trailing bytes after " + size + " entries");
    }
    return PnCounter.trusted(r, p, n, t);
  }

  private static int putVarint(byte[] buf, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
    return pos;
  }

  private static final class Reader {
    private final byte[] bytes;
    private int pos;

    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    int readByte() {
      if (pos >= bytes.length) {
        throw new IllegalArgumentException("truncated counter encoding at byte " + pos);
      }
      return bytes[pos++];
    }

    long readVarint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = readByte();
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (shift == 63 && (b & 0x7E) != 0) {
            throw new IllegalArgumentException("varint overflows 64 bits at byte " + pos);
          }
          return result;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
    }
  }
}
