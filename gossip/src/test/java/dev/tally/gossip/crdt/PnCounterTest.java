package dev.tally.gossip.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PnCounterTest {

  @Test
  void empty_readsZeroAndEncodesSmall() {
    assertThat(PnCounter.EMPTY.value()).isZero();
    assertThat(PnCounter.EMPTY.updatedAtMillis()).isZero();
    assertThat(PnCounterCodec.encode(PnCounter.EMPTY)).hasSize(2);
  }

  @Test
  void decrement_belowZero_isAllowed() {
    PnCounter s = PnCounter.EMPTY.decrement(3, 5, 10).increment(3, 2, 11);
    assertThat(s.value()).isEqualTo(-3);
    assertThat(s.updatedAtMillis()).isEqualTo(11);
  }

  @Test
  void value_belowLongMin_isOutOfRange() {
    PnCounter low = PnCounter.EMPTY.decrement(3, Long.MAX_VALUE, 1).decrement(3, 1, 1);
    assertThat(low.value()).isEqualTo(Long.MIN_VALUE);
    assertThatThrownBy(() -> low.decrement(3, 1, 1)).isInstanceOf(CounterOverflowException.class);
  }

  @Test
  void merge_ofConcurrentWritersPastLimit_valueReportsOverflow() {
    PnCounter a = PnCounter.EMPTY.increment(1, Long.MAX_VALUE, 1);
    PnCounter b = PnCounter.EMPTY.increment(2, Long.MAX_VALUE, 1);
    PnCounter merged = a.merge(b);
    assertThatThrownBy(merged::value).isInstanceOf(CounterOverflowException.class);
    assertThat(merged.decrement(1, Long.MAX_VALUE, 2).value()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void of_repeatedReplica_isRejected() {
    assertThatThrownBy(() -> PnCounter.of(List.of(
            new PnCounter.Entry(1, 1, 0, 0), new PnCounter.Entry(1, 2, 0, 0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("appears twice");
  }

  @Test
  void decode_unknownFormat_isRejectedWithReason() {
    assertThatThrownBy(() -> PnCounterCodec.decode(new byte[] {9, 0}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown counter format 9");
  }

  @Test
  void replicaIds_formatAndParse() {
    long id = ReplicaIds.newId();
    assertThat(ReplicaIds.parse(ReplicaIds.format(id))).isEqualTo(id);
    assertThat(ReplicaIds.format(0xABL)).isEqualTo("00000000000000ab");
    assertThatThrownBy(() -> ReplicaIds.parse("xyz")).isInstanceOf(IllegalArgumentException.class);
  }
}
