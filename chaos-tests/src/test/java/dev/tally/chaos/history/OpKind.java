package dev.tally.chaos.history;

/** The function an attempt calls. */
public enum OpKind {
    /** Increment (positive delta) or decrement (negative delta). */
    ADD,
    /** Get. */
    READ
}
