package dev.tally.node.storage;

import dev.tally.gossip.digest.KeyHash;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * RocksDB keys of the {@code counters} column family: the 4-byte big-endian {@link KeyHash} of the
 * key, then the key's UTF-8 bytes. Byte order is then (unsigned hash, key), which is the order
 * {@link dev.tally.gossip.store.StateStore#scan} promises, and each digest-tree leaf is a
 * contiguous range.
 */
final class CounterKeys {
  private CounterKeys() {}

  static byte[] encode(String key) {
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[4 + utf8.length];
    putHash(out, KeyHash.murmur3(utf8));
    System.arraycopy(utf8, 0, out, 4, utf8.length);
    return out;
  }

  /** The first possible storage key at or above an unsigned 32-bit hash. */
  static byte[] seekTo(long unsignedHash) {
    byte[] out = new byte[4];
    putHash(out, (int) unsignedHash);
    return out;
  }

  static long hashOf(byte[] storageKey) {
    return Integer.toUnsignedLong(((storageKey[0] & 0xFF) << 24) | ((storageKey[1] & 0xFF) << 16)
        | ((storageKey[2] & 0xFF) << 8) | (storageKey[3] & 0xFF));
  }

  static String keyOf(byte[] storageKey) {
    return new String(Arrays.copyOfRange(storageKey, 4, storageKey.length), StandardCharsets.UTF_8);
  }

  private static void putHash(byte[] out, int hash) {
    out[0] = (byte) (hash >>> 24);
    out[1] = (byte) (hash >>> 16);
    out[2] = (byte) (hash >>> 8);
    out[3] = (byte) hash;
  }
}
