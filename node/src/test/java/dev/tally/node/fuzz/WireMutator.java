package dev.tally.node.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Byte-level mutations of serialized protobuf messages, some blind (bit flips, truncation, random
 * splices) and some that know the wire format (a field duplicated or removed, a varint made huge or
 * overlong, a wrong wire type, a length prefix that lies, invalid UTF-8 in a length-delimited
 * field, a mutation inside a nested message with the outer lengths fixed up). Every mutation is
 * appended to {@code trace} so a failure says what was done.
 */
final class WireMutator {
  private WireMutator() {}

  /** One top-level field as it lies in the bytes: [tagStart, valueStart) is the tag (and length), up to end. */
  record Field(int number, int wireType, int tagStart, int valueStart, int end) {}

  /** The top-level fields, or null when the bytes are not a well-formed message at this level. */
  static List<Field> scan(byte[] b) {
    List<Field> out = new ArrayList<>();
    int[] pos = {0};
    while (pos[0] < b.length) {
      int tagStart = pos[0];
      long tag = readVarint(b, pos);
      if (tag < 0 || tag > 0xFFFFFFFFL) {
        return null;
      }
      int wire = (int) (tag & 7);
      int number = (int) (tag >>> 3);
      if (number == 0) {
        return null;
      }
      int valueStart;
      switch (wire) {
        case 0 -> {
          valueStart = pos[0];
          if (readVarint(b, pos) < -1) {
            return null;
          }
        }
        case 1 -> {
          valueStart = pos[0];
          pos[0] += 8;
        }
        case 2 -> {
          long len = readVarint(b, pos);
          if (len < 0 || len > b.length) {
            return null;
          }
          valueStart = pos[0];
          pos[0] += (int) len;
        }
        case 5 -> {
          valueStart = pos[0];
          pos[0] += 4;
        }
        default -> {
          return null;
        }
      }
      if (pos[0] > b.length) {
        return null;
      }
      out.add(new Field(number, wire, tagStart, valueStart, pos[0]));
    }
    return out;
  }

  /** A varint at pos[0] (advancing it); -2 when it runs off the end or past 10 bytes. Values are unsigned (may come out negative for >= 2^63, which is fine here as -1 only for 2^64-1). */
  private static long readVarint(byte[] b, int[] pos) {
    long result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos[0] >= b.length) {
        return -2;
      }
      int x = b[pos[0]++] & 0xff;
      result |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        return result < -1 ? -1 : result;
      }
    }
    return -2;
  }

  static byte[] varint(long v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] slice(byte[] b, int from, int to) {
    return java.util.Arrays.copyOfRange(b, from, to);
  }

  /** Applies 1..4 mutations. */
  static byte[] mutate(byte[] input, SplittableRandom r, StringBuilder trace) {
    byte[] b = input;
    int n = 1 + (r.nextInt(4) == 0 ? r.nextInt(4) : 0);
    for (int i = 0; i < n; i++) {
      b = mutateOnce(b, r, trace, 0);
    }
    return b;
  }

  private static byte[] mutateOnce(byte[] b, SplittableRandom r, StringBuilder trace, int depth) {
    List<Field> fields = scan(b);
    // Into a nested message now and then, keeping every outer length right, so the mutation
    // reaches the checks of inner fields (a state's entries, a batch's items).
    if (fields != null && depth < 4 && r.nextInt(3) == 0) {
      List<Field> nested = fields.stream().filter(f -> f.wireType() == 2 && f.end() > f.valueStart()
          && scan(slice(b, f.valueStart(), f.end())) != null).toList();
      if (!nested.isEmpty()) {
        Field f = nested.get(r.nextInt(nested.size()));
        trace.append("in field ").append(f.number()).append(": ");
        byte[] inner = mutateOnce(slice(b, f.valueStart(), f.end()), r, trace, depth + 1);
        return concat(slice(b, 0, f.tagStart()), varint(((long) f.number() << 3) | 2), varint(inner.length), inner,
            slice(b, f.end(), b.length));
      }
    }
    int kind = r.nextInt(fields == null || fields.isEmpty() ? 6 : 16);
    switch (kind) {
      case 0: { // flip one bit
        if (b.length == 0) {
          break;
        }
        int at = r.nextInt(b.length);
        int bit = r.nextInt(8);
        trace.append("flip bit ").append(bit).append(" of byte ").append(at).append("; ");
        byte[] c = b.clone();
        c[at] ^= (byte) (1 << bit);
        return c;
      }
      case 1: { // truncate
        if (b.length == 0) {
          break;
        }
        int at = r.nextInt(b.length);
        trace.append("truncate to ").append(at).append("; ");
        return slice(b, 0, at);
      }
      case 2: { // insert random bytes
        int at = r.nextInt(b.length + 1);
        byte[] junk = new byte[1 + r.nextInt(8)];
        r.nextBytes(junk);
        trace.append("insert ").append(junk.length).append(" random bytes at ").append(at).append("; ");
        return concat(slice(b, 0, at), junk, slice(b, at, b.length));
      }
      case 3: { // delete a range
        if (b.length == 0) {
          break;
        }
        int at = r.nextInt(b.length);
        int len = 1 + r.nextInt(Math.min(8, b.length - at));
        trace.append("delete ").append(len).append(" bytes at ").append(at).append("; ");
        return concat(slice(b, 0, at), slice(b, at + len, b.length));
      }
      case 4: { // set a random byte to an interesting value
        if (b.length == 0) {
          break;
        }
        int at = r.nextInt(b.length);
        int[] interesting = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xc3, 0xed, 0xf4, 0x0a, 0x12};
        int v = interesting[r.nextInt(interesting.length)];
        trace.append("byte ").append(at).append(" := ").append(Integer.toHexString(v)).append("; ");
        byte[] c = b.clone();
        c[at] = (byte) v;
        return c;
      }
      case 5: { // append a random field
        int number = r.nextInt(5) == 0 ? 1 + r.nextInt(536_870_911) : 1 + r.nextInt(12);
        int wire = r.nextInt(8);
        byte[] value = switch (wire) {
          case 0 -> varint(r.nextLong());
          case 1 -> new byte[8];
          case 2 -> concat(varint(3), new byte[] {'a', (byte) 0xff, 'b'});
          case 5 -> new byte[4];
          default -> new byte[0]; // groups (3, 4) and the invalid 6, 7: the bare tag
        };
        trace.append("append field ").append(number).append(" wire type ").append(wire).append("; ");
        return concat(b, varint(((long) number << 3) | wire), value);
      }
      default:
        break;
    }
    if (fields == null || fields.isEmpty()) {
      trace.append("(no change) ");
      return b;
    }
    Field f = fields.get(r.nextInt(fields.size()));
    byte[] before = slice(b, 0, f.tagStart());
    byte[] whole = slice(b, f.tagStart(), f.end());
    byte[] after = slice(b, f.end(), b.length);
    byte[] tag = varint(((long) f.number() << 3) | f.wireType());
    switch (kind) {
      case 6: // duplicate the field (a repeated field gets one more, a singular one is set twice)
        trace.append("duplicate field ").append(f.number()).append("; ");
        return concat(before, whole, whole, after);
      case 7: // remove it
        trace.append("remove field ").append(f.number()).append("; ");
        return concat(before, after);
      case 8: { // repeat it many times
        int times = r.nextInt(10) == 0 ? 1001 + r.nextInt(20_000) : 2 + r.nextInt(1100);
        trace.append("repeat field ").append(f.number()).append(" x").append(times).append("; ");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(before);
        for (int i = 0; i < times && out.size() < (8 << 20); i++) {
          out.writeBytes(whole);
        }
        out.writeBytes(after);
        return out.toByteArray();
      }
      case 9: { // wrong wire type, value unchanged
        int wire = (f.wireType() + 1 + r.nextInt(7)) & 7;
        trace.append("field ").append(f.number()).append(" wire type ").append(f.wireType()).append(" -> ")
            .append(wire).append("; ");
        return concat(before, varint(((long) f.number() << 3) | wire), slice(b, f.valueStart(), f.end()), after);
      }
      case 10: { // a huge or overlong varint in place of the value (or of the length)
        byte[][] choices = {
            varint(-1L), varint(Long.MIN_VALUE), varint(Long.MAX_VALUE), varint(0xFFFFFFFFL), varint(1L << 31),
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, 0x01}, // 11 bytes: longer than any varint may be
            {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00}}; // 0, overlong
        byte[] v = choices[r.nextInt(choices.length)];
        trace.append("field ").append(f.number()).append(" varint := ").append(Hex.of(v, 16)).append("; ");
        if (f.wireType() == 0) {
          return concat(before, tag, v, after);
        }
        if (f.wireType() == 2) { // the length prefix lies
          return concat(before, tag, v, slice(b, f.valueStart(), f.end()), after);
        }
        return concat(before, varint((long) f.number() << 3), v, after);
      }
      case 11: { // invalid UTF-8 inside a length-delimited value
        if (f.wireType() != 2 || f.end() == f.valueStart()) {
          break;
        }
        byte[] value = slice(b, f.valueStart(), f.end());
        byte[][] bad = {{(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xe2, (byte) 0x82}};
        byte[] seq = bad[r.nextInt(bad.length)];
        int at = r.nextInt(value.length + 1);
        byte[] v = concat(slice(value, 0, at), seq, slice(value, at, value.length));
        trace.append("field ").append(f.number()).append(" gets invalid UTF-8 ").append(Hex.of(seq, 8))
            .append(" at ").append(at).append("; ");
        return concat(before, tag, varint(v.length), v, after);
      }
      case 12: { // a length-delimited value made long (absurd key, absurd nested message)
        if (f.wireType() != 2) {
          break;
        }
        int len = r.nextInt(4) == 0 ? 4097 : 4096 + r.nextInt(3) - 1;
        byte[] v = new byte[len];
        java.util.Arrays.fill(v, (byte) 'x');
        trace.append("field ").append(f.number()).append(" := ").append(len).append(" x 'x'; ");
        return concat(before, tag, varint(len), v, after);
      }
      case 13: // swap with another field's position
        trace.append("move field ").append(f.number()).append(" to the end; ");
        return concat(before, after, whole);
      case 14: { // deep nesting: the value wrapped in itself
        if (f.wireType() != 2) {
          break;
        }
        byte[] v = slice(b, f.valueStart(), f.end());
        int levels = 1 + r.nextInt(r.nextInt(10) == 0 ? 200 : 5);
        for (int i = 0; i < levels; i++) {
          v = concat(tag, varint(v.length), v);
        }
        trace.append("nest field ").append(f.number()).append(" in itself x").append(levels).append("; ");
        return concat(before, tag, varint(v.length), v, after);
      }
      default: // 15: an unterminated group start before the field
        trace.append("group start before field ").append(f.number()).append("; ");
        return concat(before, varint(((long) (1 + r.nextInt(12)) << 3) | 3), whole, after);
    }
    trace.append("(no change) ");
    return b;
  }

  /** Random bytes: mostly short, now and then long; some shaped like protobuf fields. */
  static byte[] random(SplittableRandom r, StringBuilder trace) {
    if (r.nextBoolean()) {
      int len = r.nextInt(10) == 0 ? r.nextInt(4096) : r.nextInt(48);
      byte[] b = new byte[len];
      r.nextBytes(b);
      trace.append("random ").append(len).append(" bytes; ");
      return b;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int fields = 1 + r.nextInt(8);
    for (int i = 0; i < fields; i++) {
      int number = 1 + r.nextInt(12);
      int wire = new int[] {0, 0, 1, 2, 2, 2, 5}[r.nextInt(7)];
      out.writeBytes(varint(((long) number << 3) | wire));
      switch (wire) {
        case 0 -> out.writeBytes(varint(r.nextInt(3) == 0 ? r.nextLong() : r.nextInt(4)));
        case 1 -> out.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        case 5 -> out.writeBytes(new byte[] {1, 2, 3, 4});
        default -> {
          byte[] v = new byte[r.nextInt(12)];
          r.nextBytes(v);
          out.writeBytes(varint(v.length));
          out.writeBytes(v);
        }
      }
    }
    trace.append("random ").append(fields).append(" fields; ");
    return out.toByteArray();
  }
}
