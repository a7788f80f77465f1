package dev.tally.gossip.crdt;

import java.math.BigInteger;

/**
 * Just enough signed 128-bit arithmetic to sum unsigned 64-bit entries exactly: several replicas'
 * P totals can together pass 2^64 even when each fits.
 */
record Int128(long high, long low) {

  static final Int128 ZERO = new Int128(0, 0);

  Int128 plusUnsigned(long v) {
    long lo = low + v;
    long carry = Long.compareUnsigned(lo, low) < 0 ? 1 : 0;
    return new Int128(high + carry, lo);
  }

  Int128 minusUnsigned(long v) {
    long lo = low - v;
    long borrow = Long.compareUnsigned(low, v) < 0 ? 1 : 0;
    return new Int128(high - borrow, lo);
  }

  boolean fitsInLong() {
    return high == (low >> 63);
  }

  @Override
  public String toString() {
    return BigInteger.valueOf(high).shiftLeft(64).add(new BigInteger(Long.toUnsignedString(low))).toString();
  }
}
