package dev.tally.gossip.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The CRDT laws that make counts exact under any delivery order (jqwik prints the seed of a
 * failing run; replay it with {@code @Property(seed = "...")}).
 */
class PnCounterPropertiesTest {

  /** A small pool of replica ids, so generated states overlap and merges have work to do. */
  private static final long[] REPLICAS = {1L, 2L, 0x7FFF_FFFF_FFFF_FFFFL, 0x8000_0000_0000_0000L, -1L};

  @Provide
  Arbitrary<PnCounter> states() {
    Arbitrary<Long> side = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 1000),
        Arbitraries.longs(),
        Arbitraries.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE));
    Arbitrary<PnCounter.Entry> entry = Combinators.combine(
            Arbitraries.of(1L, 2L, 0x7FFF_FFFF_FFFF_FFFFL, 0x8000_0000_0000_0000L, -1L),
            side, side, Arbitraries.longs().between(0, 2_000_000_000_000L))
        .as(PnCounter.Entry::new);
    return entry.list().ofMaxSize(REPLICAS.length).uniqueElements(PnCounter.Entry::replica)
        .map(PnCounter::of);
  }

  @Property
  void merge_isCommutative(@ForAll("states") PnCounter a, @ForAll("states") PnCounter b) {
    assertThat(a.merge(b)).isEqualTo(b.merge(a));
  }

  @Property
  void merge_isAssociative(
      @ForAll("states") PnCounter a, @ForAll("states") PnCounter b, @ForAll("states") PnCounter c) {
    assertThat(a.merge(b).merge(c)).isEqualTo(a.merge(b.merge(c)));
  }

  @Property
  void merge_isIdempotent(@ForAll("states") PnCounter a, @ForAll("states") PnCounter b) {
    assertThat(a.merge(a)).isSameAs(a);
    PnCounter ab = a.merge(b);
    assertThat(ab.merge(b)).isSameAs(ab);
    assertThat(ab.merge(a)).isSameAs(ab);
  }

  @Property
  void merge_isLeastUpperBoundOfEntries(@ForAll("states") PnCounter a, @ForAll("states") PnCounter b) {
    PnCounter m = a.merge(b);
    assertThat(m.covers(a)).isTrue();
    assertThat(m.covers(b)).isTrue();
    for (long r : REPLICAS) {
      assertThat(m.p(r)).isEqualTo(maxUnsigned(a.p(r), b.p(r)));
      assertThat(m.n(r)).isEqualTo(maxUnsigned(a.n(r), b.n(r)));
    }
  }

  @Property
  void value_isSumOfPMinusSumOfN(@ForAll("states") PnCounter a) {
    BigInteger expected = BigInteger.ZERO;
    for (PnCounter.Entry e : a.entries()) {
      expected = expected.add(unsigned(e.p())).subtract(unsigned(e.n()));
    }
    if (expected.bitLength() < 64) {
      assertThat(a.value()).isEqualTo(expected.longValueExact());
    } else {
      assertThatThrownBy(a::value).isInstanceOf(CounterOverflowException.class)
          .hasMessageContaining(expected.toString());
    }
  }

  @Property
  void codec_roundTrips(@ForAll("states") PnCounter a) {
    byte[] bytes = PnCounterCodec.encode(a);
    PnCounter back = PnCounterCodec.decode(bytes);
    assertThat(back).isEqualTo(a);
    assertThat(back.contentHash()).isEqualTo(a.contentHash());
    assertThat(PnCounterCodec.encode(back)).isEqualTo(bytes);
  }

  @Property
  void wireMessage_roundTrips(@ForAll("states") PnCounter a) {
    assertThat(StateMessages.fromMessage(StateMessages.toMessage("k", a))).isEqualTo(a);
  }

  @Property
  void codec_rejectsGarbageCleanly(@ForAll byte[] garbage) {
    try {
      PnCounter decoded = PnCounterCodec.decode(garbage);
      assertThat(PnCounterCodec.encode(decoded)).isEqualTo(garbage);
    } catch (IllegalArgumentException expected) {
      // the only acceptable failure
    }
  }

  @Property
  void increment_changesOnlyOwnEntry(
      @ForAll("states") PnCounter a,
      @ForAll @LongRange(min = 1, max = 1_000_000) long amount,
      @ForAll boolean positive) {
    long self = 2L;
    PnCounter next;
    try {
      next = a.add(self, amount, 5, positive);
    } catch (CounterOverflowException overflow) {
      return; // nothing applied: a is immutable
    }
    for (long r : REPLICAS) {
      if (r != self) {
        assertThat(next.p(r)).isEqualTo(a.p(r));
        assertThat(next.n(r)).isEqualTo(a.n(r));
      }
    }
    assertThat(next.p(self)).isEqualTo(positive ? a.p(self) + amount : a.p(self));
    assertThat(next.n(self)).isEqualTo(positive ? a.n(self) : a.n(self) + amount);
    assertThat(BigInteger.valueOf(next.value()))
        .isEqualTo(exactValue(a).add(BigInteger.valueOf(positive ? amount : -amount)));
  }

  @Property(tries = 200)
  void replicasConvergeToTheExactTotal_underAnyMergeOrder(
      @ForAll long seed, @ForAll @IntRange(min = 2, max = 6) int replicaCount) {
    Random random = new Random(seed);
    PnCounter[] states = new PnCounter[replicaCount];
    java.util.Arrays.fill(states, PnCounter.EMPTY);
    long expected = 0;
    List<PnCounter> inFlight = new ArrayList<>();
    for (int step = 0; step < 300; step++) {
      int r = random.nextInt(replicaCount);
      switch (random.nextInt(3)) {
        case 0 -> {
          long amount = 1 + random.nextInt(100);
          boolean positive = random.nextBoolean();
          states[r] = states[r].add(r + 1, amount, step, positive);
          expected += positive ? amount : -amount;
          inFlight.add(states[r]);
        }
        case 1 -> {
          if (!inFlight.isEmpty()) { // deliver an old (possibly stale or duplicated) message
            states[r] = states[r].merge(inFlight.get(random.nextInt(inFlight.size())));
          }
        }
        default -> states[r] = states[r].merge(states[random.nextInt(replicaCount)]);
      }
    }
    PnCounter all = PnCounter.EMPTY;
    for (PnCounter s : states) {
      all = all.merge(s);
    }
    for (int r = 0; r < replicaCount; r++) {
      states[r] = states[r].merge(all);
      assertThat(states[r].value()).as("replica %d, seed %d", r, seed).isEqualTo(expected);
      assertThat(states[r]).isEqualTo(all);
    }
  }

  @Property
  void value_isTheExactSumOrAnOverflow(@ForAll("states") PnCounter a) {
    BigInteger exact = exactValue(a);
    if (exact.bitLength() < 64) {
      assertThat(a.value()).isEqualTo(exact.longValueExact());
    } else {
      assertThatThrownBy(a::value).isInstanceOf(CounterOverflowException.class)
          .hasMessageContaining(exact.toString());
    }
  }

  @Property
  void contentHash_ignoresConstructionOrder(@ForAll("states") PnCounter a) {
    List<PnCounter.Entry> reversed = new ArrayList<>(a.entries());
    java.util.Collections.reverse(reversed);
    PnCounter b = PnCounter.of(reversed);
    assertThat(b).isEqualTo(a);
    assertThat(b.contentHash()).isEqualTo(a.contentHash());
  }

  @Property
  void overflow_isRejectedAndNothingApplied(@ForAll @LongRange(min = 1) long amount) {
    PnCounter full = PnCounter.of(List.of(new PnCounter.Entry(7, -1L, -1L, 1)));
    assertThatThrownBy(() -> full.increment(7, amount, 2))
        .isInstanceOf(CounterOverflowException.class).hasMessageContaining("2^64-1");
    PnCounter high = PnCounter.EMPTY.increment(7, Long.MAX_VALUE, 1);
    assertThatThrownBy(() -> high.increment(7, amount, 2))
        .isInstanceOf(CounterOverflowException.class).hasMessageContaining("signed 64-bit");
    assertThat(high.value()).isEqualTo(Long.MAX_VALUE);
  }

  private static BigInteger exactValue(PnCounter s) {
    BigInteger v = BigInteger.ZERO;
    for (PnCounter.Entry e : s.entries()) {
      v = v.add(unsigned(e.p())).subtract(unsigned(e.n()));
    }
    return v;
  }

  private static long maxUnsigned(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0 ? a : b;
  }

  private static BigInteger unsigned(long v) {
    return new BigInteger(Long.toUnsignedString(v));
  }
}
