package dev.tally.node.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfianPickerTest {

  @Test
  void next_followsTheZipfDistribution() {
    long seed = Long.getLong("tally.bench.test.seed", System.nanoTime());
    System.out.println("ZipfianPickerTest SEED=" + seed + " (replay with -Dtally.bench.test.seed=" + seed + ")");
    int items = 1000;
    ZipfianPicker picker = new ZipfianPicker(items, ZipfianPicker.YCSB_THETA);
    SplittableRandom random = new SplittableRandom(seed);
    int samples = 400_000;
    long[] counts = new long[items];
    for (int i = 0; i < samples; i++) {
      int k = picker.next(random);
      assertThat(k).isBetween(0, items - 1);
      counts[k]++;
    }
    // Ranks 0 and 1 are exact in Gray's method; beyond them it approximates, so the check is on the
    // mass of the head of the distribution.
    for (int rank : new int[] {0, 1}) {
      double expected = picker.probability(rank) * samples;
      assertThat((double) counts[rank]).as("rank %d", rank).isBetween(expected * 0.95, expected * 1.05);
    }
    double headExpected = 0;
    long head = 0;
    for (int rank = 0; rank < 10; rank++) {
      headExpected += picker.probability(rank) * samples;
      head += counts[rank];
    }
    assertThat((double) head).as("top ten ranks").isBetween(headExpected * 0.9, headExpected * 1.1);
    assertThat(counts[0]).isGreaterThan(counts[1]).isGreaterThan(counts[9]);
  }

  @Test
  void oneItem_isAlwaysZero() {
    ZipfianPicker picker = new ZipfianPicker(1, ZipfianPicker.YCSB_THETA);
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      assertThat(picker.next(random)).isZero();
    }
  }

  @Test
  void constructor_refusesBadArguments() {
    assertThatThrownBy(() -> new ZipfianPicker(0, 0.99)).hasMessageContaining("items");
    assertThatThrownBy(() -> new ZipfianPicker(10, 1.0)).hasMessageContaining("theta");
  }
}
