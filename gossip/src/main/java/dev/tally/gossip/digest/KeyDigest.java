package dev.tally.gossip.digest;

import dev.tally.gossip.crdt.PnCounter;

/**
 * The per-key hash that the digest tree XORs together: {@code mix(hash64(utf8 key), contentHash)}.
 * Equal (key, state) pairs hash equally on every replica, a never-written key and an empty state
 * both hash to 0 (so "absent" and "empty" never look different), and the key takes part through a
 * 64-bit hash of its bytes rather than its 32-bit {@link KeyHash}, so two keys that share a key
 * hash and a state cannot cancel each other out in a leaf. Changing this function makes replicas
 * of different builds see every key as different: treat it as part of the wire contract.
 */
public final class KeyDigest {
  private KeyDigest() {}

  /** {@link #keyHash64(byte[])} of a key's UTF-8 bytes; an ASCII key is hashed from its chars, without encoding it. */
  public static long keyHash64(String key) {
    int len = key.length();
    for (int i = 0; i < len; i++) {
      if (key.charAt(i) >= 0x80) {
        return keyHash64(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    long h = 0x243F6A8885A308D3L ^ len;
    int i = 0;
    for (; i + 8 <= len; i += 8) {
      long w = 0;
      for (int b = 7; b >= 0; b--) {
        w = (w << 8) | key.charAt(i + b);
      }
      h = mix(h ^ w);
    }
    if (i < len) {
      long w = 0;
      for (int b = len - 1; b >= i; b--) {
        w = (w << 8) | key.charAt(b);
      }
      h = mix(h ^ w ^ 0x9E3779B97F4A7C15L);
    }
    return mix(h);
  }

  /** 64-bit hash of a key's UTF-8 bytes (8 bytes at a time, little-endian, SplitMix64 mixing). */
  public static long keyHash64(byte[] utf8) {
    long h = 0x243F6A8885A308D3L ^ utf8.length;
    int i = 0;
    for (; i + 8 <= utf8.length; i += 8) {
      long w = 0;
      for (int b = 7; b >= 0; b--) {
        w = (w << 8) | (utf8[i + b] & 0xFFL);
      }
      h = mix(h ^ w);
    }
    if (i < utf8.length) {
      long w = 0;
      for (int b = utf8.length - 1; b >= i; b--) {
        w = (w << 8) | (utf8[b] & 0xFFL);
      }
      h = mix(h ^ w ^ 0x9E3779B97F4A7C15L);
    }
    return mix(h);
  }

  /** The digest contribution of a key (given by {@link #keyHash64}) in a state; 0 when empty. */
  public static long of(long keyHash64, PnCounter state) {
    if (state.isEmpty()) {
      return 0;
    }
    long h = mix(keyHash64 ^ Long.rotateLeft(mix(state.contentHash() + 0x632BE59BD9B4E019L), 23));
    // 0 is reserved for "empty"; a real state landing on it would be invisible to anti-entropy.
    return h == 0 ? 1 : h;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
