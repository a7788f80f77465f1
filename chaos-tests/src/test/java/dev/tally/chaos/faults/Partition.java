package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.cluster.TallyCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A network partition made of "grudges", as Jepsen calls them: each node named in
 * {@code rejectsFrom} refuses every packet from the listed nodes, with iptables INPUT rules inside
 * its own container. Symmetric partitions give both sides grudges; an asymmetric one gives only
 * one side, so packets flow the other way (TCP then breaks both ways, UDP one way); a bridge
 * leaves one node talking to both halves. Traffic from the test host (clients) is never blocked.
 *
 * @param description what it is, for the logs
 * @param rejectsFrom node -> nodes whose packets it drops
 * @param mode        REJECT (TCP gets a reset: connections fail fast) or DROP (silence: they hang until timeouts)
 */
public record Partition(String description, Map<String, Set<String>> rejectsFrom, Mode mode) implements Fault {

    /** How blocked packets are refused. */
    public enum Mode {
        /** TCP is answered with a reset, other protocols dropped: peers see "connection refused" at once. */
        REJECT,
        /** Every packet silently dropped: peers wait for their timeouts. */
        DROP
    }

    public Partition {
        Map<String, Set<String>> copy = new TreeMap<>();
        rejectsFrom.forEach((node, from) -> {
            if (from.contains(node)) {
                throw new IllegalArgumentException(node + " cannot hold a grudge against itself");
            }
            if (!from.isEmpty()) {
                copy.put(node, Set.copyOf(new TreeSet<>(from)));
            }
        });
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("a partition must block something");
        }
        rejectsFrom = Map.copyOf(copy);
    }

    /** Every group cut off from every other group, both ways. */
    public static Partition between(String description, List<Set<String>> groups) {
        if (groups.size() < 2) {
            throw new IllegalArgumentException("a partition needs at least two groups, got " + groups);
        }
        Map<String, Set<String>> grudges = new LinkedHashMap<>();
        for (int i = 0; i < groups.size(); i++) {
            for (String node : groups.get(i)) {
                Set<String> others = new TreeSet<>();
                for (int j = 0; j < groups.size(); j++) {
                    if (j != i) {
                        others.addAll(groups.get(j));
                    }
                }
                if (grudges.put(node, others) != null) {
                    throw new IllegalArgumentException(node + " is in two groups: " + groups);
                }
            }
        }
        return new Partition(description, grudges, Mode.REJECT);
    }

    /** Packets from {@code from} never reach {@code to}; the other direction is untouched. */
    public static Partition oneWay(Set<String> from, Set<String> to) {
        Map<String, Set<String>> grudges = new LinkedHashMap<>();
        to.forEach(n -> grudges.put(n, from));
        return new Partition("one-way: " + new TreeSet<>(from) + " -/-> " + new TreeSet<>(to), grudges, Mode.REJECT);
    }

    /** {@code left} and {@code right} cannot talk to each other; {@code bridge} talks to both. */
    public static Partition bridge(Set<String> left, String bridge, Set<String> right) {
        Map<String, Set<String>> grudges = new LinkedHashMap<>();
        left.forEach(n -> grudges.put(n, right));
        right.forEach(n -> grudges.put(n, left));
        return new Partition("bridge: " + new TreeSet<>(left) + " <- " + bridge + " -> " + new TreeSet<>(right),
                grudges, Mode.REJECT);
    }

    /** The same grudges with another way of refusing packets. */
    public Partition withMode(Mode newMode) {
        return new Partition(description, rejectsFrom, newMode);
    }

    @Override
    public String describe() {
        return description + (mode == Mode.DROP ? " (drop)" : "");
    }

    @Override
    public Healer inject(TallyCluster cluster) {
        Map<String, String> ips = new TreeMap<>();
        rejectsFrom.forEach((node, from) -> {
            ips.put(node, cluster.node(node).ip());
            from.forEach(f -> ips.computeIfAbsent(f, n -> cluster.node(n).ip()));
        });
        Map<ClusterNode, List<String>> rules = new LinkedHashMap<>();
        rejectsFrom.forEach((node, from) -> {
            List<String> specs = new ArrayList<>();
            for (String f : from) {
                String ip = ips.get(f);
                if (mode == Mode.REJECT) {
                    // Let resets through: the other side's REJECT answers our SYN with one, and only
                    // if it arrives does our connect fail at once instead of timing out.
                    specs.add("INPUT -s " + ip + " -p tcp --tcp-flags RST RST -j ACCEPT");
                    specs.add("INPUT -s " + ip + " -p tcp -j REJECT --reject-with tcp-reset");
                }
                specs.add("INPUT -s " + ip + " -j DROP");
            }
            rules.put(cluster.node(node), specs);
        });
        List<ClusterNode> applied = new ArrayList<>();
        try {
            rules.forEach((node, specs) -> {
                node.shAsRoot("partition (" + description + ")", IptablesScripts.add(specs));
                applied.add(node);
            });
        } catch (RuntimeException e) {
            applied.forEach(n -> IptablesScripts.removeQuietly(n, rules.get(n)));
            throw e;
        }
        return () -> {
            for (Map.Entry<ClusterNode, List<String>> e : rules.entrySet()) {
                IptablesScripts.remove(e.getKey(), e.getValue(), "heal partition (" + description + ")");
            }
        };
    }
}
