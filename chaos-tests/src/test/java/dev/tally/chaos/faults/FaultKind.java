package dev.tally.chaos.faults;

/** The kinds of fault a {@link FaultSchedule} draws from. */
public enum FaultKind {
    /** Every DC cut off from every other (iptables). Needs two DCs. */
    DC_PARTITION,
    /** A random minority cut off from the majority (iptables). */
    MAJORITY_MINORITY,
    /** One random node cut off from all peers, still reachable by clients (iptables). */
    ISOLATE_NODE,
    /** One random node taken off the Docker network entirely. */
    DISCONNECT_NODE,
    /** Packets from one random node to the rest dropped, or the reverse (iptables, asymmetric). */
    ONE_WAY,
    /** Two halves that cannot talk, joined by one bridge node (iptables, partial). Needs three nodes. */
    BRIDGE,
    /** SIGKILL one random node, restart it on its data. */
    KILL,
    /** Freeze one random node, then resume it. */
    PAUSE,
    /** SIGKILL one random node, delete its data, restart it empty. */
    WIPE,
    /** Latency, jitter and loss between two DCs, both directions. Needs two DCs. */
    INTER_DC_LATENCY
}
