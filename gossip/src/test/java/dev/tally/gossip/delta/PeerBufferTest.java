package dev.tally.gossip.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerBufferTest {
  private final PeerBuffer buffer = new PeerBuffer("b");

  @Test
  void add_keepsTheFirstChangeTimeOfAKey() {
    buffer.add("x", 100, 10);
    buffer.add("y", 200, 10);
    buffer.add("x", 300, 10);
    assertThat(buffer.pendingKeys()).containsExactly("x", "y");
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(100);
  }

  @Test
  void takeForPush_takesTheOldestKeysUpToTheLimit() {
    for (int i = 0; i < 5; i++) {
      buffer.add("k" + i, i, 10);
    }
    assertThat(buffer.takeForPush(3)).containsExactly("k0", "k1", "k2");
    assertThat(buffer.inFlight()).isTrue();
    assertThat(buffer.pendingKeys()).containsExactly("k3", "k4");
    assertThat(buffer.oldestUnackedNanos()).as("in-flight keys are not acknowledged yet").isZero();
  }

  @Test
  void takeForPush_whileInFlight_isRefused() {
    buffer.add("k", 1, 10);
    buffer.takeForPush(1);
    assertThatThrownBy(() -> buffer.takeForPush(1)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already in flight");
  }

  @Test
  void acked_clearsTheFlightAndRecordsTheTime() {
    buffer.add("a", 10, 10);
    buffer.add("b", 20, 10);
    buffer.takeForPush(1);
    buffer.acked(12345);
    assertThat(buffer.inFlight()).isFalse();
    assertThat(buffer.lastAckMillis()).isEqualTo(12345);
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(20);
  }

  @Test
  void inFlightSinceNanos_givesEachKeyInFlightItsFirstChangeTime() {
    assertThat(buffer.inFlightSinceNanos()).isEmpty();
    buffer.add("a", 10, 10);
    buffer.add("b", 20, 10);
    buffer.add("a", 30, 10);
    buffer.add("c", 40, 10);
    buffer.takeForPush(2);
    assertThat(buffer.inFlightSinceNanos()).containsExactly(10, 20);
    buffer.acked(1);
    assertThat(buffer.inFlightSinceNanos()).isEmpty();
  }

  @Test
  void failed_putsTheKeysBackInFrontWithTheirOriginalTimes() {
    buffer.add("a", 10, 10);
    buffer.add("b", 20, 10);
    buffer.add("c", 30, 10);
    buffer.takeForPush(2);
    buffer.add("a", 40, 10);
    buffer.add("d", 50, 10);
    assertThat(buffer.failed(10)).isZero();
    assertThat(buffer.inFlight()).isFalse();
    assertThat(buffer.pendingKeys()).containsExactly("a", "b", "c", "d");
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(10);
  }

  @Test
  void add_pastMaxPending_dropsTheBufferAndMarksNeedsRepair() {
    buffer.add("a", 10, 3);
    buffer.add("b", 20, 3);
    buffer.add("c", 30, 3);
    assertThat(buffer.needsRepair()).isFalse();
    assertThat(buffer.add("d", 40, 3)).isEqualTo(4);
    assertThat(buffer.needsRepair()).isTrue();
    assertThat(buffer.pendingCount()).isZero();
    assertThat(buffer.oldestUnackedNanos()).as("lag still counts from the oldest dropped change").isEqualTo(10);
    buffer.add("e", 50, 3);
    assertThat(buffer.pendingKeys()).containsExactly("e");
  }

  @Test
  void failed_pastMaxPending_drops() {
    buffer.add("a", 10, 3);
    buffer.add("b", 20, 3);
    buffer.takeForPush(2);
    buffer.add("c", 30, 3);
    buffer.add("d", 40, 3);
    assertThat(buffer.failed(3)).isEqualTo(4);
    assertThat(buffer.needsRepair()).isTrue();
  }

  @Test
  void repaired_clearsNeedsRepairOnlyWhenNothingWasDroppedSinceTheExchangeStarted() {
    buffer.add("a", 10, 1);
    buffer.add("b", 20, 1);
    long epoch = buffer.dropEpoch();
    buffer.add("c", 30, 1);
    buffer.add("d", 40, 1);
    buffer.repaired(epoch);
    assertThat(buffer.needsRepair()).as("a drop happened during the exchange").isTrue();
    buffer.repaired(buffer.dropEpoch());
    assertThat(buffer.needsRepair()).isFalse();
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(PeerBuffer.NONE);
  }

  @Test
  void absorb_mergesKeysKeepingTheOldestTimeAndOrder() {
    buffer.add("b", 20, 10);
    buffer.add("c", 30, 10);
    Map<String, Long> moved = new LinkedHashMap<>();
    moved.put("a", 5L);
    moved.put("c", 25L);
    moved.put("d", 35L);
    buffer.absorb(moved, 10);
    assertThat(buffer.pendingKeys()).containsExactly("a", "b", "c", "d");
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(5);
  }

  @Test
  void drainPending_emptiesThePendingKeys() {
    buffer.add("a", 1, 10);
    assertThat(buffer.drainPending()).containsOnlyKeys("a");
    assertThat(buffer.pendingCount()).isZero();
    assertThat(buffer.oldestUnackedNanos()).isEqualTo(PeerBuffer.NONE);
  }
}
