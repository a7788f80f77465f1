package dev.tally.chaos.history;

/** What one history event says about an attempt, in the Jepsen/Maelstrom vocabulary. */
public enum EventType {
    /** The client is about to send the request. */
    INVOKE,
    /** The request was acknowledged: it took effect (a write) or returned a value (a read). */
    OK,
    /** The request definitely did not take effect. */
    FAIL,
    /** Indeterminate: the request may or may not have taken effect (timeout, lost connection). */
    INFO
}
