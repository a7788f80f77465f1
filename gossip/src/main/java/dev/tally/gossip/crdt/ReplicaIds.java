package dev.tally.gossip.crdt;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Replica ids: random, non-zero 64-bit values shown as 16 hex digits. A node draws one the first
 * time it opens an empty data directory and keeps it there; a wiped node draws a new one. With
 * 64 random bits two ids collide with probability ~n^2/2^65, negligible for any real cluster.
 */
public final class ReplicaIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ReplicaIds() {}

  public static long newId() {
    long id;
    do {
      id = RANDOM.nextLong();
    } while (id == 0);
    return id;
  }

  public static String format(long id) {
    return HexFormat.of().toHexDigits(id);
  }

  /** @throws IllegalArgumentException unless {@code text} is 16 hex digits naming a non-zero id */
  public static long parse(String text) {
    if (text.length() != 16) {
      throw new IllegalArgumentException("replica id must be 16 hex digits, got '" + text + "'");
    }
    long id;
    try {
      id = HexFormat.fromHexDigitsToLong(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("replica id must be 16 hex digits, got '" + text + "'", e);
    }
    if (id == 0) {
      throw new IllegalArgumentException("replica id must not be 0");
    }
    return id;
  }
}
