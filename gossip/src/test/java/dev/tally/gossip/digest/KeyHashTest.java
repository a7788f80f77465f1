package dev.tally.gossip.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeyHashTest {
  /** Reference values of MurmurHash3 x86_32, seed 0: the storage layout depends on them never changing. */
  @Test
  void murmur3_matchesReferenceVectors() {
    assertThat(KeyHash.murmur3(new byte[0])).isEqualTo(0);
    assertThat(KeyHash.murmur3("hello".getBytes(StandardCharsets.UTF_8))).isEqualTo(0x248bfa47);
    assertThat(KeyHash.murmur3("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(0x2e4ff723);
  }
}
