package dev.tally.gossip.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;

/** The string forms of the key hashes (ASCII fast path) equal the byte forms they are defined by. */
class KeyHashesPropertiesTest {

  @Property
  void asciiKeys_hashLikeTheirUtf8Bytes(@ForAll @CharRange(from = 0, to = 127) @StringLength(max = 80) String key) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    assertThat(KeyHash.of(key)).isEqualTo(KeyHash.murmur3(utf8));
    assertThat(KeyDigest.keyHash64(key)).isEqualTo(KeyDigest.keyHash64(utf8));
  }

  @Property
  void anyKeys_hashLikeTheirUtf8Bytes(@ForAll @StringLength(max = 40) String key) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    assertThat(KeyHash.of(key)).isEqualTo(KeyHash.murmur3(utf8));
    assertThat(KeyDigest.keyHash64(key)).isEqualTo(KeyDigest.keyHash64(utf8));
  }
}
