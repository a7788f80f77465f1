package dev.tally.gossip.crdt;

/** A change would take a P or N entry, or the value, outside 64 bits. Nothing was applied. */
public final class CounterOverflowException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  public CounterOverflowException(String message) {
    super(message);
  }
}
