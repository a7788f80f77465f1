package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.TallyCluster;

/**
 * A fault and, through the {@link Healer} that {@link #inject} returns, its inverse. A fault is
 * an immutable description naming nodes; addresses are resolved when it is injected, and the
 * healer undoes exactly what that injection did.
 */
public interface Fault {

    /** One line for logs and violation reports, e.g. "partition dc1 [n1 n2] | dc2 [n3 n4 n5]". */
    String describe();

    /** Applies the fault now; the returned healer reverts it. */
    Healer inject(TallyCluster cluster);

    /** Reverts one injection. */
    @FunctionalInterface
    interface Healer {
        void heal();
    }
}
