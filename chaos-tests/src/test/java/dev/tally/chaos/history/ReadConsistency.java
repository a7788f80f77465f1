package dev.tally.chaos.history;

/** Consistency level of a call, mirroring tally.v1.Consistency without depending on the generated API. */
public enum ReadConsistency {
    LOCAL,
    QUORUM
}
