package dev.tally.testcontainers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startable;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * N Tally nodes ({@code n1..nN}) on one Docker network of their own, each reachable by its name,
 * all seeded with every node so they form one cluster with one cluster id:
 * {@code TallyCluster.of(3, "tally-node:dev")}. Works as a JUnit {@code @Container} (it is a
 * {@link Startable}); {@link #close()} removes every node and the network.
 *
 * <p>{@link #start()} starts the nodes in parallel and returns when every one answers {@code
 * /health} 200. A node serves before it has heard of every peer: a test that needs the whole
 * cluster (a QUORUM read, replication to every node) waits for that itself, e.g. until every
 * node reads the same value.
 *
 * <p>Not thread-safe while configured; the getters may be called from any thread once started.
 */
public final class TallyCluster implements Startable {

    private final DockerImageName image;
    private final Network network;
    private final List<TallyContainer> nodes = new ArrayList<>();
    private boolean tls;
    private TallyCertificates certificates;

    private TallyCluster(DockerImageName image, int size) {
        if (size < 1 || size > 9) {
            throw new IllegalArgumentException("a TallyCluster has 1..9 nodes, was " + size);
        }
        this.image = Objects.requireNonNull(image, "image");
        this.network = Network.newNetwork();
        String clusterId = "tc-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            names.add("n" + i);
        }
        String seeds = names.stream().map(n -> n + ":" + TallyContainer.PEER_PORT).collect(Collectors.joining(","));
        for (String n : names) {
            nodes.add(new TallyContainer(image)
                    .withName(n)
                    .withNetwork(network)
                    .withNetworkAliases(n)
                    .withSetting("seeds", seeds)
                    .withSetting("cluster-id", clusterId));
        }
    }

    /** {@code size} nodes (1..9) of {@code image}, in dc1. */
    public static TallyCluster of(int size, String image) {
        return of(size, DockerImageName.parse(image));
    }

    public static TallyCluster of(int size, DockerImageName image) {
        return new TallyCluster(image, size);
    }

    /** A node setting on every node (see {@link TallyContainer#withSetting}). */
    public TallyCluster withSetting(String key, String value) {
        nodes.forEach(n -> n.withSetting(key, value));
        return this;
    }

    /** TLS on every node, one throwaway CA for all (made at start); mutual TLS between peers. */
    public TallyCluster withTls() {
        this.tls = true;
        return this;
    }

    /** Changes every node before start (e.g. {@code n -> n.withEnv("JAVA_TOOL_OPTIONS", "-Xmx256m")}). */
    public TallyCluster withEachNode(Consumer<TallyContainer> change) {
        nodes.forEach(change);
        return this;
    }

    /** The nodes, n1 first; change one before start (say, {@code node(2).withDc("dc2")}). */
    public List<TallyContainer> nodes() {
        return List.copyOf(nodes);
    }

    /** Node {@code i}, counted from 1 as in its name. */
    public TallyContainer node(int i) {
        if (i < 1 || i > nodes.size()) {
            throw new IllegalArgumentException("node index must be 1.." + nodes.size() + ", was " + i);
        }
        return nodes.get(i - 1);
    }

    public Network getNetwork() {
        return network;
    }

    @Override
    public void start() {
        if (tls && certificates == null) {
            certificates = TallyCertificates.create(image, nodes.stream().map(TallyContainer::getName).toList(),
                    List.of(DockerClientFactory.instance().dockerHostIpAddress()));
            nodes.forEach(n -> n.withTls(certificates));
        }
        try {
            Startables.deepStart(nodes).join();
        } catch (RuntimeException e) {
            StringBuilder logs = new StringBuilder();
            for (TallyContainer n : nodes) {
                if (n.getContainerId() != null) {
                    String log = n.getLogs();
                    logs.append("\n---- ").append(n.getName()).append(" (last lines)\n")
                            .append(log, Math.max(0, log.length() - 4000), log.length());
                }
            }
            stop();
            throw new IllegalStateException("cluster of " + nodes.size() + " " + image + " nodes did not start: " + e
                    + logs, e);
        }
    }

    /** Every node's {@code host:port}, n1 first. */
    public List<String> getTargets() {
        return nodes.stream().map(TallyContainer::getTarget).toList();
    }

    /** All nodes as one {@code TallyClient} target: {@code host:port,host:port,...}. */
    public String getTarget() {
        return String.join(",", getTargets());
    }

    /**
     * The CA every node's certificate is signed by.
     *
     * @throws IllegalStateException when TLS is off or the cluster has not started
     */
    public Path getCaCertificatePath() {
        if (!tls) {
            throw new IllegalStateException("TLS is off for this cluster; turn it on with withTls()");
        }
        if (certificates == null) {
            throw new IllegalStateException("the cluster's CA is made at start; start the cluster first");
        }
        return certificates.caPath();
    }

    /** Stops every node and removes the network. */
    @Override
    public void stop() {
        RuntimeException first = null;
        for (TallyContainer n : nodes) {
            try {
                n.stop();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        try {
            network.close();
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        }
        if (first != null) {
            throw first;
        }
    }
}
