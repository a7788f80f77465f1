package dev.tally.chaos.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** A history folded into logical adds and reads, the form both checkers work on. */
public final class Operations {

    private final List<LogicalAdd> adds;
    private final List<Attempted> reads;

    private Operations(List<LogicalAdd> adds, List<Attempted> reads) {
        this.adds = List.copyOf(adds);
        this.reads = List.copyOf(reads);
    }

    /**
     * Pairs every invocation with its completion and groups adds by request id.
     *
     * @throws IllegalArgumentException if the history is malformed: a completion without an
     *     invocation, a second completion, or a request id reused for a different key or amount
     */
    public static Operations of(List<HistoryEvent> events) {
        Map<Long, HistoryEvent> invokes = new LinkedHashMap<>();
        Map<Long, HistoryEvent> completions = new LinkedHashMap<>();
        for (HistoryEvent e : events) {
            if (e.type() == EventType.INVOKE) {
                if (invokes.putIfAbsent(e.attempt(), e) != null) {
                    throw new IllegalArgumentException("attempt " + e.attempt() + " invoked twice: " + e.describe());
                }
            } else {
                if (!invokes.containsKey(e.attempt())) {
                    throw new IllegalArgumentException("completion without invocation: " + e.describe());
                }
                if (completions.putIfAbsent(e.attempt(), e) != null) {
                    throw new IllegalArgumentException("attempt " + e.attempt() + " completed twice: " + e.describe());
                }
            }
        }
        Map<String, List<Attempted>> addGroups = new LinkedHashMap<>();
        List<Attempted> reads = new ArrayList<>();
        for (HistoryEvent invoke : invokes.values()) {
            Attempted a = new Attempted(invoke, completions.get(invoke.attempt()));
            if (invoke.kind() == OpKind.READ) {
                reads.add(a);
            } else {
                String group = invoke.requestId().isEmpty() ? "#attempt-" + invoke.attempt() : "rid:" + invoke.requestId();
                List<Attempted> list = addGroups.computeIfAbsent(group, g -> new ArrayList<>());
                if (!list.isEmpty()) {
                    HistoryEvent first = list.get(0).invoke();
                    if (!first.key().equals(invoke.key()) || first.delta() != invoke.delta()) {
                        throw new IllegalArgumentException("request id " + invoke.requestId()
                                + " reused for a different operation: " + first.describe() + " vs " + invoke.describe());
                    }
                }
                list.add(a);
            }
        }
        List<LogicalAdd> adds = new ArrayList<>();
        for (List<Attempted> group : addGroups.values()) {
            HistoryEvent first = group.get(0).invoke();
            adds.add(new LogicalAdd(first.key(), first.delta(), first.requestId(), group));
        }
        return new Operations(adds, reads);
    }

    /** Every logical add, in order of first invocation. */
    public List<LogicalAdd> adds() {
        return adds;
    }

    /** The logical adds of one key. */
    public List<LogicalAdd> adds(String key) {
        List<LogicalAdd> out = new ArrayList<>();
        for (LogicalAdd a : adds) {
            if (a.key().equals(key)) {
                out.add(a);
            }
        }
        return out;
    }

    /** Every read attempt, whatever its outcome, in invocation order. */
    public List<Attempted> reads() {
        return reads;
    }

    /** Every key written or read. */
    public SortedSet<String> keys() {
        SortedSet<String> keys = new TreeSet<>();
        adds.forEach(a -> keys.add(a.key()));
        reads.forEach(r -> keys.add(r.key()));
        return Collections.unmodifiableSortedSet(keys);
    }
}
