package dev.tally.gossip.store;

/**
 * Records a store writes in the same atomic batch as a set of counter states, opaque to the
 * engine. The node attaches its request-id dedupe records this way, so a crash can never leave a
 * counted increment without its dedupe record (a retry would count it twice) or the reverse.
 */
public interface StoreAttachment {
  StoreAttachment NONE = new StoreAttachment() {
    @Override
    public String toString() {
      return "NONE";
    }
  };
}
