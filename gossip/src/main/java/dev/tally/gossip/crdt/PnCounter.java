package dev.tally.gossip.crdt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The state of one counter: for every replica that ever wrote it, a pair (P, N) of unsigned
 * 64-bit totals that only grow, and the writer's clock at that entry's latest change.
 *
 * <p>Immutable. Entries are kept sorted by replica id (unsigned) in parallel arrays, so merge is
 * a linear walk and the encoding is canonical: equal states encode to equal bytes and hash
 * equally on every replica, which anti-entropy relies on.
 *
 * <p>The rules that keep counts exact (see DESIGN.md): a replica changes only its own entry;
 * {@link #merge} is entry-wise max and therefore commutative, associative and idempotent; value
 * is sum(P) - sum(N).
 */
public final class PnCounter {

  /** A replica's contribution. {@code p} and {@code n} are unsigned. */
  public record Entry(long replica, long p, long n, long updatedAtMillis) {
    public Entry {
      if (replica == 0) {
        throw new IllegalArgumentException("replica id must not be 0");
      }
    }
  }

  public static final PnCounter EMPTY = new PnCounter(new long[0], new long[0], new long[0], new long[0]);

  private final long[] replicas;
  private final long[] ps;
  private final long[] ns;
  private final long[] times;

  private PnCounter(long[] replicas, long[] ps, long[] ns, long[] times) {
    this.replicas = replicas;
    this.ps = ps;
    this.ns = ns;
    this.times = times;
  }

  /**
   * Builds a state from entries in any order.
   *
   * @throws IllegalArgumentException if a replica id appears twice
   */
  public static PnCounter of(List<Entry> entries) {
    Entry[] sorted = entries.toArray(new Entry[0]);
    Arrays.sort(sorted, (a, b) -> Long.compareUnsigned(a.replica(), b.replica()));
    int size = sorted.length;
    long[] r = new long[size];
    long[] p = new long[size];
    long[] n = new long[size];
    long[] t = new long[size];
    for (int i = 0; i < size; i++) {
      if (i > 0 && sorted[i].replica() == sorted[i - 1].replica()) {
        throw new IllegalArgumentException(
            "replica " + ReplicaIds.format(sorted[i].replica()) + " appears twice");
      }
      r[i] = sorted[i].replica();
      p[i] = sorted[i].p();
      n[i] = sorted[i].n();
      t[i] = sorted[i].updatedAtMillis();
    }
    return size == 0 ? EMPTY : new PnCounter(r, p, n, t);
  }

  /** Arrays must be sorted by unsigned replica id without duplicates; they are not copied. */
  static PnCounter trusted(long[] replicas, long[] ps, long[] ns, long[] times) {
    return replicas.length == 0 ? EMPTY : new PnCounter(replicas, ps, ns, times);
  }

  public boolean isEmpty() {
    return replicas.length == 0;
  }

  public int size() {
    return replicas.length;
  }

  public Entry entryAt(int index) {
    return new Entry(replicas[index], ps[index], ns[index], times[index]);
  }

  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>(replicas.length);
    for (int i = 0; i < replicas.length; i++) {
      out.add(entryAt(i));
    }
    return Collections.unmodifiableList(out);
  }

  /** P of the replica, 0 if it has no entry. Unsigned. */
  public long p(long replica) {
    int i = indexOf(replica);
    return i < 0 ? 0 : ps[i];
  }

  /** N of the replica, 0 if it has no entry. Unsigned. */
  public long n(long replica) {
    int i = indexOf(replica);
    return i < 0 ? 0 : ns[i];
  }

  /** Latest change time over all entries, 0 for the empty state. Equal on converged replicas. */
  public long updatedAtMillis() {
    long max = 0;
    for (long t : times) {
      max = Math.max(max, t);
    }
    return max;
  }

  /**
   * sum(P) - sum(N) as a signed 64-bit value.
   *
   * @throws CounterOverflowException if the exact value does not fit in 64 bits, which can only
   *     happen when concurrent writers on different replicas together passed the limit
   */
  public long value() {
    // sum(P) - sum(N) in 128 bits as two longs (no allocation: this runs for every write).
    long hi = 0;
    long lo = 0;
    for (int i = 0; i < replicas.length; i++) {
      long plus = lo + ps[i];
      if (Long.compareUnsigned(plus, lo) < 0) {
        hi++;
      }
      long minus = plus - ns[i];
      if (Long.compareUnsigned(plus, ns[i]) < 0) {
        hi--;
      }
      lo = minus;
    }
    if (hi != (lo >> 63)) {
      throw new CounterOverflowException("counter value " + new Int128(hi, lo) + " is outside the signed 64-bit range");
    }
    return lo;
  }

  /** Adds {@code amount} (>= 1) to this replica's P. */
  public PnCounter increment(long replica, long amount, long nowMillis) {
    return add(replica, amount, nowMillis, true);
  }

  /** Adds {@code amount} (>= 1) to this replica's N. */
  public PnCounter decrement(long replica, long amount, long nowMillis) {
    return add(replica, amount, nowMillis, false);
  }

  /**
   * Adds to one side of one replica's entry.
   *
   * @param amount unsigned, must not be 0
   * @throws CounterOverflowException if the entry or the value would leave 64 bits; this state is
   *     unchanged (it is immutable), so nothing is applied
   */
  public PnCounter add(long replica, long amount, long nowMillis, boolean positive) {
    if (amount == 0) {
      throw new IllegalArgumentException("amount must not be 0");
    }
    if (replica == 0) {
      throw new IllegalArgumentException("replica id must not be 0");
    }
    int i = indexOf(replica);
    long oldSide = i < 0 ? 0 : (positive ? ps[i] : ns[i]);
    long newSide = oldSide + amount;
    if (Long.compareUnsigned(newSide, oldSide) < 0) {
      throw new CounterOverflowException(
          (positive ? "P" : "N") + " of replica " + ReplicaIds.format(replica)
              + " would exceed 2^64-1 (it is " + Long.toUnsignedString(oldSide)
              + ", adding " + Long.toUnsignedString(amount) + ")");
    }
    PnCounter next;
    if (i >= 0) {
      long[] p = ps.clone();
      long[] n = ns.clone();
      long[] t = times.clone();
      if (positive) {
        p[i] = newSide;
      } else {
        n[i] = newSide;
      }
      t[i] = Math.max(t[i], nowMillis);
      next = new PnCounter(replicas, p, n, t);
    } else {
      int at = -i - 1;
      next = new PnCounter(
          insert(replicas, at, replica),
          insert(ps, at, positive ? newSide : 0),
          insert(ns, at, positive ? 0 : newSide),
          insert(times, at, nowMillis));
    }
    // One entry with both sides below 2^63 always has a 64-bit value: skip the 128-bit sum.
    if (next.replicas.length != 1 || next.ps[0] < 0 || next.ns[0] < 0) {
      next.value();
    }
    return next;
  }

  /**
   * Entry-wise max of P, N and time. Returns {@code this} when {@code other} adds nothing, so
   * callers can tell whether a merge changed anything with {@code ==}.
   */
  public PnCounter merge(PnCounter other) {
    if (other.isEmpty() || other == this) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    long[] a = replicas;
    long[] b = other.replicas;
    int cap = a.length + b.length;
    long[] r = new long[cap];
    long[] p = new long[cap];
    long[] n = new long[cap];
    long[] t = new long[cap];
    int i = 0;
    int j = 0;
    int k = 0;
    boolean changed = false;
    while (i < a.length || j < b.length) {
      int cmp = i == a.length ? 1 : j == b.length ? -1 : Long.compareUnsigned(a[i], b[j]);
      if (cmp < 0) {
        r[k] = a[i]; p[k] = ps[i]; n[k] = ns[i]; t[k] = times[i];
        i++;
      } else if (cmp > 0) {
        r[k] = b[j]; p[k] = other.ps[j]; n[k] = other.ns[j]; t[k] = other.times[j];
        j++;
        changed = true;
      } else {
        r[k] = a[i];
        p[k] = maxUnsigned(ps[i], other.ps[j]);
        n[k] = maxUnsigned(ns[i], other.ns[j]);
        t[k] = Math.max(times[i], other.times[j]);
        changed |= p[k] != ps[i] || n[k] != ns[i] || t[k] != times[i];
        i++;
        j++;
      }
      k++;
    }
    if (!changed) {
      return this;
    }
    return new PnCounter(
        Arrays.copyOf(r, k), Arrays.copyOf(p, k), Arrays.copyOf(n, k), Arrays.copyOf(t, k));
  }

  /** True when merging {@code other} into this state would change nothing. */
  public boolean covers(PnCounter other) {
    return merge(other) == this;
  }

  /**
   * A 64-bit hash of the whole state, equal for equal states on every replica (it reads only the
   * canonical sorted entries). Anti-entropy XORs these per key into its digest tree.
   */
  public long contentHash() {
    long h = 0x9E3779B97F4A7C15L ^ replicas.length;
    for (int i = 0; i < replicas.length; i++) {
      h = Mix.mix(h ^ Mix.mix(replicas[i]));
      h = Mix.mix(h ^ ps[i]);
      h = Mix.mix(h ^ ns[i]);
      h = Mix.mix(h ^ times[i]);
    }
    return h;
  }

  // package-private accessors for the codec, which must not copy
  long[] replicasArray() { return replicas; }
  long[] psArray() { return ps; }
  long[] nsArray() { return ns; }
  long[] timesArray() { return times; }

  private int indexOf(long replica) {
    int lo = 0;
    int hi = replicas.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int cmp = Long.compareUnsigned(replicas[mid], replica);
      if (cmp < 0) {
        lo = mid + 1;
      } else if (cmp > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }

  private static long[] insert(long[] a, int at, long v) {
    long[] out = new long[a.length + 1];
    System.arraycopy(a, 0, out, 0, at);
    out[at] = v;
    System.arraycopy(a, at, out, at + 1, a.length - at);
    return out;
  }

  private static long maxUnsigned(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0 ? a : b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PnCounter other
        && Arrays.equals(replicas, other.replicas)
        && Arrays.equals(ps, other.ps)
        && Arrays.equals(ns, other.ns)
        && Arrays.equals(times, other.times);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(contentHash());
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("PnCounter{");
    for (int i = 0; i < replicas.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(ReplicaIds.format(replicas[i])).append("=(+")
          .append(Long.toUnsignedString(ps[i])).append(", -")
          .append(Long.toUnsignedString(ns[i])).append(" @").append(times[i]).append(')');
    }
    return sb.append('}').toString();
  }
}
