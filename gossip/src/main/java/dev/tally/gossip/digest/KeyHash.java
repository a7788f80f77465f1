package dev.tally.gossip.digest;

import java.nio.charset.StandardCharsets;

/**
 * The 32-bit hash that places a key in the key space: it picks the key's digest-tree leaf (its top
 * bits) and prefixes the key in storage, so every leaf is one contiguous range of the store and
 * anti-entropy can scan exactly the keys of a differing leaf. A later sharding step can cut the
 * same ring into ranges. Changing this function changes the storage layout: it is MurmurHash3
 * x86_32 with seed 0 over the key's UTF-8 bytes, forever.
 */
public final class KeyHash {
  private KeyHash() {}

  public static int of(String key) {
    int len = key.length();
    for (int i = 0; i < len; i++) {
      if (key.charAt(i) >= 0x80) {
        return murmur3(key.getBytes(StandardCharsets.UTF_8));
      }
    }
    return murmur3Ascii(key);
  }

  /** {@link #murmur3} of an ASCII string's bytes, read from its chars without encoding them first. */
  private static int murmur3Ascii(String key) {
    int h1 = 0;
    int len = key.length();
    int roundedEnd = len & ~3;
    for (int i = 0; i < roundedEnd; i += 4) {
      h1 = mixBlock(h1, key.charAt(i) | (key.charAt(i + 1) << 8) | (key.charAt(i + 2) << 16) | (key.charAt(i + 3) << 24));
    }
    int k1 = 0;
    switch (len & 3) {
      case 3:
        k1 = key.charAt(roundedEnd + 2) << 16;
        // fall through
      case 2:
        k1 |= key.charAt(roundedEnd + 1) << 8;
        // fall through
      case 1:
        k1 |= key.charAt(roundedEnd);
        h1 ^= mixK1(k1);
        break;
      default:
        break;
    }
    return finish(h1, len);
  }

  public static int murmur3(byte[] data) {
    int h1 = 0;
    int len = data.length;
    int roundedEnd = len & ~3;
    for (int i = 0; i < roundedEnd; i += 4) {
      h1 = mixBlock(h1, (data[i] & 0xff) | ((data[i + 1] & 0xff) << 8) | ((data[i + 2] & 0xff) << 16) | (data[i + 3] << 24));
    }
    int k1 = 0;
    switch (len & 3) {
      case 3:
        k1 = (data[roundedEnd + 2] & 0xff) << 16;
        // fall through
      case 2:
        k1 |= (data[roundedEnd + 1] & 0xff) << 8;
        // fall through
      case 1:
        k1 |= data[roundedEnd] & 0xff;
        h1 ^= mixK1(k1);
        break;
      default:
        break;
    }
    return finish(h1, len);
  }

  private static int mixK1(int k1) {
    k1 *= 0xcc9e2d51;
    k1 = Integer.rotateLeft(k1, 15);
    return k1 * 0x1b873593;
  }

  private static int mixBlock(int h1, int k1) {
    h1 ^= mixK1(k1);
    h1 = Integer.rotateLeft(h1, 13);
    return h1 * 5 + 0xe6546b64;
  }

  /** The length and the final avalanche (fmix32). */
  private static int finish(int h1, int len) {
    h1 ^= len;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1;
  }
}
