package dev.tally.node.storage;

import dev.tally.gossip.write.DedupeRecord;
import dev.tally.gossip.write.DedupeRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.gossip.write.DedupeRecord.AppliedValue;
import dev.tally.gossip.write.DedupeRecord.Kind;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DedupeRecordCodecTest {

  @Test
  void encodeDecode_single_roundTrips() {
    DedupeRecord r = new DedupeRecord("req-é", Kind.DECREMENT, "clé", "", -1L /* 2^64-1 unsigned */,
        0x8000_0000_0000_0001L, 1_700_000_000_000L, 1_700_000_600_000L,
        List.of(new AppliedValue(Long.MIN_VALUE, 1_700_000_000_000L)));

    assertThat(DedupeRecordCodec.decode("req-é", DedupeRecordCodec.encode(r))).isEqualTo(r);
  }

  @Test
  void encodeDecode_batch_roundTrips() {
    DedupeRecord r = new DedupeRecord("b", Kind.BATCH, "", "ab".repeat(32), 3, 7, 5, 9,
        List.of(new AppliedValue(1, 5), new AppliedValue(-7, 5), new AppliedValue(Long.MAX_VALUE, 0)));

    byte[] bytes = DedupeRecordCodec.encode(r);

    assertThat(DedupeRecordCodec.decode("b", bytes)).isEqualTo(r);
    assertThat(DedupeRecordCodec.expiresAt(bytes)).isEqualTo(9);
  }

  @Test
  void decode_corruptBytes_areRejected() {
    DedupeRecord r = new DedupeRecord("x", Kind.INCREMENT, "k", "", 1, 7, 5, 9, List.of(new AppliedValue(1, 5)));
    byte[] bytes = DedupeRecordCodec.encode(r);

    assertThatThrownBy(() -> DedupeRecordCodec.decode("x", Arrays.copyOf(bytes, bytes.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    assertThatThrownBy(() -> DedupeRecordCodec.decode("x", longer)).hasMessageContaining("trailing");
    byte[] future = bytes.clone();
    future[0] = 9;
    assertThatThrownBy(() -> DedupeRecordCodec.decode("x", future)).hasMessageContaining("format 9");
  }
}
