package dev.tally.chaos.seed;

import java.security.SecureRandom;

/**
 * The one seed a chaos run derives every random choice from (fault schedule, workload).
 * {@code -Dtally.chaos.seed=N} replays a run; otherwise a fresh seed is drawn. Either way it is
 * printed first, so a failing run can always be replayed.
 */
public final class ChaosSeed {

    /** System property that pins the seed. */
    public static final String PROPERTY = "tally.chaos.seed";

    private ChaosSeed() {}

    /** The pinned seed, or a fresh one; printed as {@code SEED=...} with how to replay it. */
    public static long resolve(String runName) {
        String pinned = System.getProperty(PROPERTY, "").trim();
        long seed;
        String origin;
        if (pinned.isEmpty()) {
            seed = new SecureRandom().nextLong();
            origin = "fresh";
        } else {
            try {
                seed = Long.parseLong(pinned);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + " must be a 64-bit integer, was '" + pinned + "'", e);
            }
            origin = "pinned by -D" + PROPERTY;
        }
        System.out.println("SEED=" + seed + " (" + origin + ") for " + runName + "; replay with -D" + PROPERTY + "=" + seed);
        return seed;
    }

    /** A seed for one component, derived from the run seed so each gets its own stream (SplitMix64). */
    public static long derive(long seed, String component) {
        long z = seed + 0x9E3779B97F4A7C15L * (component.hashCode() + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
