package dev.tally.chaos.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A sequence of faults, one at a time: step i is injected at {@code at}, held for {@code hold},
 * healed, and followed by a quiet gap before the next. Drawn from a seed, so one seed gives one
 * schedule (for the same topology and menu), and printing the seed is enough to replay it.
 *
 * @param seed  the seed it was drawn from (0 and meaningless for a hand-written schedule)
 * @param steps the faults in order
 */
public record FaultSchedule(long seed, List<Step> steps) {

    /**
     * One fault in the schedule.
     *
     * @param at    offset from the schedule's start
     * @param hold  how long it stays injected
     * @param fault the fault
     */
    public record Step(Duration at, Duration hold, Fault fault) {
        public String describe() {
            return String.format("+%.1fs %s (for %.1fs)", at.toMillis() / 1e3, fault.describe(), hold.toMillis() / 1e3);
        }
    }

    public FaultSchedule {
        steps = List.copyOf(steps);
        Duration previousEnd = Duration.ZERO;
        for (Step s : steps) {
            if (s.at().compareTo(previousEnd) < 0) {
                throw new IllegalArgumentException("steps overlap: " + s.describe() + " starts before the previous one heals");
            }
            if (s.hold().isNegative() || s.hold().isZero()) {
                throw new IllegalArgumentException("hold must be positive: " + s.describe());
            }
            previousEnd = s.at().plus(s.hold());
        }
    }

    /**
     * Draws {@code count} faults from {@code menu} (kinds that do not apply to the topology are
     * left out), each held for a random time in [minHold, maxHold] with {@code quiet} between them.
     */
    public static FaultSchedule random(long seed, Faults faults, Set<FaultKind> menu, int count, Duration minHold,
                                       Duration maxHold, Duration quiet) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, was " + count);
        }
        if (minHold.isNegative() || minHold.isZero() || maxHold.compareTo(minHold) < 0) {
            throw new IllegalArgumentException("need 0 < minHold <= maxHold, got " + minHold + ", " + maxHold);
        }
        List<FaultKind> kinds = new ArrayList<>();
        for (FaultKind k : EnumSet.copyOf(menu)) { // enum order: deterministic whatever set was passed
            if (faults.applicable(k)) {
                kinds.add(k);
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no fault in " + menu + " applies to nodes " + faults.nodes()
                    + " in DCs " + faults.dcs());
        }
        Random random = new Random(seed);
        List<Step> steps = new ArrayList<>();
        Duration at = quiet;
        for (int i = 0; i < count; i++) {
            FaultKind kind = kinds.get(random.nextInt(kinds.size()));
            long spanMs = maxHold.toMillis() - minHold.toMillis();
            Duration hold = minHold.plusMillis(spanMs == 0 ? 0 : (long) (random.nextDouble() * (spanMs + 1)));
            steps.add(new Step(at, hold, faults.random(kind, random)));
            at = at.plus(hold).plus(quiet);
        }
        return new FaultSchedule(seed, steps);
    }

    /** When the last fault heals. */
    public Duration end() {
        return steps.isEmpty() ? Duration.ZERO : steps.get(steps.size() - 1).at().plus(steps.get(steps.size() - 1).hold());
    }

    /** One line per step, seed first. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("fault schedule from seed " + seed + ", " + steps.size() + " steps:");
        steps.forEach(s -> lines.add("  " + s.describe()));
        return lines;
    }
}
