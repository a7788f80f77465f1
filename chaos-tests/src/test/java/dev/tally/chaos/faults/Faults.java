package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.ClusterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds faults from a cluster's topology (node name -> DC), by name or drawn at random. Works
 * on names only, so schedules can be built and tested without Docker.
 */
public final class Faults {

    /** The ports a Tally node listens on; what the latency proxy redirects. */
    public static final List<Integer> NODE_PORTS = List.of(ClusterSpec.CLIENT_PORT, ClusterSpec.PEER_PORT,
            ClusterSpec.MEMBERSHIP_PORT, ClusterSpec.METRICS_PORT);

    private final SortedMap<String, String> topology;
    private final List<Integer> shapedPorts;

    /**
     * @param topology    node name -> DC
     * @param shapedPorts TCP ports the latency fallback redirects (the node ports, or a test server's)
     */
    public Faults(Map<String, String> topology, List<Integer> shapedPorts) {
        if (topology.isEmpty()) {
            throw new IllegalArgumentException("topology must name at least one node");
        }
        this.topology = Collections.unmodifiableSortedMap(new TreeMap<>(topology));
        this.shapedPorts = List.copyOf(shapedPorts);
    }

    public Faults(Map<String, String> topology) {
        this(topology, NODE_PORTS);
    }

    public SortedSet<String> nodes() {
        return new TreeSet<>(topology.keySet());
    }

    public SortedSet<String> dcs() {
        return new TreeSet<>(topology.values());
    }

    public SortedSet<String> nodesIn(String dc) {
        SortedSet<String> out = new TreeSet<>();
        topology.forEach((n, d) -> {
            if (d.equals(dc)) {
                out.add(n);
            }
        });
        return out;
    }

    /** Every DC cut off from every other. */
    public Partition dcPartition() {
        if (dcs().size() < 2) {
            throw new IllegalStateException("a DC partition needs two DCs, topology has " + dcs());
        }
        List<Set<String>> groups = new ArrayList<>();
        StringBuilder d = new StringBuilder("partition");
        String sep = " ";
        for (String dc : dcs()) {
            groups.add(nodesIn(dc));
            d.append(sep).append(dc).append(' ').append(nodesIn(dc));
            sep = " | ";
        }
        return Partition.between(d.toString(), groups);
    }

    /** {@code node} cut off from every other node (clients still reach it). */
    public Partition isolate(String node) {
        requireNode(node);
        SortedSet<String> rest = nodes();
        rest.remove(node);
        return Partition.between("isolate " + node, List.of(Set.of(node), rest));
    }

    /** A random minority (at least one node, fewer than half) cut off from the rest. */
    public Partition majorityMinority(Random random) {
        List<String> shuffled = new ArrayList<>(nodes());
        if (shuffled.size() < 2) {
            throw new IllegalStateException("a majority/minority split needs two nodes");
        }
        Collections.shuffle(shuffled, random);
        int minoritySize = Math.max(1, (shuffled.size() - 1) / 2);
        SortedSet<String> minority = new TreeSet<>(shuffled.subList(0, minoritySize));
        SortedSet<String> majority = new TreeSet<>(shuffled.subList(minoritySize, shuffled.size()));
        return Partition.between("partition minority " + minority + " | majority " + majority, List.of(minority, majority));
    }

    /** Latency, jitter and loss on both directions between {@code dcA} and {@code dcB}. */
    public Composite interDcLatency(String dcA, String dcB, Duration delay, Duration jitter, double lossPercent) {
        SortedSet<String> a = nodesIn(dcA);
        SortedSet<String> b = nodesIn(dcB);
        if (a.isEmpty() || b.isEmpty() || dcA.equals(dcB)) {
            throw new IllegalArgumentException("need two different, non-empty DCs, got " + dcA + " and " + dcB);
        }
        List<Fault> parts = new ArrayList<>();
        a.forEach(n -> parts.add(new LinkShaping(n, b, delay, jitter, lossPercent, shapedPorts)));
        b.forEach(n -> parts.add(new LinkShaping(n, a, delay, jitter, lossPercent, shapedPorts)));
        return new Composite("latency " + dcA + " <-> " + dcB + ": +" + delay.toMillis() + "ms +-" + jitter.toMillis()
                + "ms each way, " + lossPercent + "% loss", parts);
    }

    /** Whether a kind can be drawn on this topology. */
    public boolean applicable(FaultKind kind) {
        return switch (kind) {
            case DC_PARTITION, INTER_DC_LATENCY -> dcs().size() >= 2;
            case MAJORITY_MINORITY, ISOLATE_NODE, ONE_WAY -> nodes().size() >= 2;
            case BRIDGE -> nodes().size() >= 3;
            case DISCONNECT_NODE, KILL, PAUSE, WIPE -> true;
        };
    }

    /** A fault of {@code kind} with every choice (which nodes, how much latency) drawn from {@code random}. */
    public Fault random(FaultKind kind, Random random) {
        if (!applicable(kind)) {
            throw new IllegalArgumentException(kind + " does not apply to topology " + topology);
        }
        List<String> nodes = new ArrayList<>(nodes());
        String someNode = nodes.get(random.nextInt(nodes.size()));
        return switch (kind) {
            case DC_PARTITION -> dcPartition();
            case MAJORITY_MINORITY -> majorityMinority(random);
            case ISOLATE_NODE -> isolate(someNode);
            case DISCONNECT_NODE -> new NodeFaults.Disconnect(someNode);
            case ONE_WAY -> {
                SortedSet<String> rest = nodes();
                rest.remove(someNode);
                yield random.nextBoolean() ? Partition.oneWay(Set.of(someNode), rest) : Partition.oneWay(rest, Set.of(someNode));
            }
            case BRIDGE -> {
                Collections.shuffle(nodes, random);
                String bridge = nodes.get(0);
                List<String> rest = nodes.subList(1, nodes.size());
                int half = rest.size() / 2;
                yield Partition.bridge(new TreeSet<>(rest.subList(0, half)), bridge,
                        new TreeSet<>(rest.subList(half, rest.size())));
            }
            case KILL -> new NodeFaults.Kill(someNode);
            case PAUSE -> new NodeFaults.Pause(someNode);
            case WIPE -> new NodeFaults.WipeData(someNode);
            case INTER_DC_LATENCY -> {
                List<String> dcs = new ArrayList<>(dcs());
                Collections.shuffle(dcs, random);
                long delayMs = 20 + random.nextInt(131); // 20..150 ms each way
                double loss = random.nextInt(4); // 0..3 %
                yield interDcLatency(dcs.get(0), dcs.get(1), Duration.ofMillis(delayMs),
                        Duration.ofMillis(delayMs / 10), loss);
            }
        };
    }

    private void requireNode(String node) {
        if (!topology.containsKey(node)) {
            throw new IllegalArgumentException("no node " + node + " in " + topology.keySet());
        }
    }
}
