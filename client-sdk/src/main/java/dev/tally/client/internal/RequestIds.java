package dev.tally.client.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random (version 4) UUIDs for request ids. Ids need to be unique, not secret, so they come from
 * {@link ThreadLocalRandom} rather than {@code UUID.randomUUID()}, whose shared SecureRandom would
 * serialise every write of a busy client on one lock.
 */
final class RequestIds {

  private RequestIds() {}

  static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & 0xFFFF_FFFF_FFFF_0FFFL) | 0x0000_0000_0000_4000L;
    long lsb = (r.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }
}
