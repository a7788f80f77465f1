package dev.tally.gossip.antientropy;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.gossip.digest.KeyHash;
import dev.tally.peer.v1.HashRange;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The unit a bucket sync ships: the keys whose unsigned 32-bit key hash lies in
 * {@code [start, end)}, inside one digest-tree leaf; a whole leaf, or a part of one cut to keep a
 * message under the byte cap. The store scans exactly such ranges ({@link
 * dev.tally.gossip.store.StateStore#scan}).
 */
record Span(long start, long end) {
  /** The most bytes one span takes as an element of a repeated message field (two 5-byte varints). */
  static final int MAX_ENCODED_BYTES = 14;

  Span {
    if (start < 0 || start >= end || end > 1L << 32) {
      throw new IllegalArgumentException("hash range [" + start + ", " + end + ") is empty or outside [0, 2^32)");
    }
  }

  static Span ofLeaf(DigestTree tree, int leaf) {
    return new Span(tree.leafStart(leaf), tree.leafStart(leaf + 1));
  }

  static Span of(HashRange range) {
    return new Span(range.getStart(), range.getEnd());
  }

  HashRange toMessage() {
    return HashRange.newBuilder().setStart(start).setEnd(end).build();
  }

  boolean contains(long hash) {
    return hash >= start && hash < end;
  }

  /** The unsigned 32-bit key hash of {@code key}: its place in (hash, key) order. */
  static long hashOf(String key) {
    return Integer.toUnsignedLong(KeyHash.of(key));
  }

  /** Bytes {@code message} takes as an element of repeated field {@code field} of its parent. */
  static int fieldBytes(int field, MessageLite message) {
    return CodedOutputStream.computeMessageSize(field, message);
  }

  @Override
  public String toString() {
    return "[" + start + ", " + end + ")";
  }

  /** A set of spans, to ask whether a key hash lies in any of them. */
  static final class Cover {
    /** start -> end of disjoint intervals, overlapping spans joined. */
    private final TreeMap<Long, Long> intervals = new TreeMap<>();

    Cover(Collection<Span> spans) {
      List<Span> sorted = new ArrayList<>(spans);
      sorted.sort((a, b) -> Long.compare(a.start(), b.start()));
      long curStart = -1;
      long curEnd = -1;
      for (Span s : sorted) {
        if (curEnd >= s.start()) {
          curEnd = Math.max(curEnd, s.end());
        } else {
          if (curStart >= 0) {
            intervals.put(curStart, curEnd);
          }
          curStart = s.start();
          curEnd = s.end();
        }
      }
      if (curStart >= 0) {
        intervals.put(curStart, curEnd);
      }
    }

    boolean covers(long hash) {
      Map.Entry<Long, Long> e = intervals.floorEntry(hash);
      return e != null && hash < e.getValue();
    }
  }
}
