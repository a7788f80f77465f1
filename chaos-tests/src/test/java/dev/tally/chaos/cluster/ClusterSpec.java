package dev.tally.chaos.cluster;

import dev.tally.chaos.client.ClientSecurity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link TallyCluster} starts: an image, named nodes in data centers, and how to run and
 * check them.
 *
 * @param image         container image
 * @param nodes         the nodes, in order (names unique)
 * @param command       command for the image ({@code null}: the image's own entrypoint/cmd)
 * @param env           extra environment for every node (on top of the TALLY_* the cluster sets); {@code {name}}
 *                      in a value stands for the node's name
 * @param hostPorts     container ports published on the host (looked up again after every restart)
 * @param files         files copied into every container before it starts: container path -> content
 * @param readiness     when a started node counts as ready
 * @param startTimeout  cap on the wait for readiness
 * @param dataDir       the node's data directory inside the container (a per-node Docker volume)
 * @param seedPort      port in TALLY_SEEDS entries (the node's peer port: seeds are host:peer-port)
 * @param clientSecurity how the suite's clients reach the nodes (TLS, token)
 * @param tallyImage    the image is a Tally node image: nodes are {@code TallyContainer}s (module
 *                      tally-testcontainers), which set name, DC, bind and advertise addresses and wait
 *                      for /health themselves; any other image runs as a plain container
 */
public record ClusterSpec(
        String image,
        List<NodeSpec> nodes,
        List<String> command,
        Map<String, String> env,
        List<Integer> hostPorts,
        Map<String, byte[]> files,
        Readiness readiness,
        Duration startTimeout,
        String dataDir,
        int seedPort,
        ClientSecurity clientSecurity,
        boolean tallyImage) {

    /** Ports of a Tally node (see deploy/docker/Dockerfile). */
    public static final int CLIENT_PORT = 7400;
    public static final int PEER_PORT = 7401;
    public static final int MEMBERSHIP_PORT = 7402;
    public static final int METRICS_PORT = 7403;
    public static final String DATA_DIR = "/var/lib/tally";

    public ClusterSpec {
        Objects.requireNonNull(image, "image");
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one node");
        }
        Set<String> names = new LinkedHashSet<>();
        for (NodeSpec n : nodes) {
            if (!names.add(n.name())) {
                throw new IllegalArgumentException("node name " + n.name() + " is used twice");
            }
        }
        command = command == null ? null : List.copyOf(command);
        env = Map.copyOf(env);
        hostPorts = List.copyOf(hostPorts);
        files = Map.copyOf(files);
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clientSecurity, "clientSecurity");
    }

    /** Nodes of the Tally image: its entrypoint, client and metrics ports published, ready when /health is 200. */
    public static Builder tallyNodes(String image) {
        Builder b = new Builder(image).hostPorts(CLIENT_PORT, METRICS_PORT).readiness(Readiness.httpOk(METRICS_PORT, "/health"));
        b.tallyImage = true;
        return b;
    }

    /** Any image; set command, ports and readiness yourself. */
    public static Builder builder(String image) {
        return new Builder(image);
    }

    public List<String> nodeNames() {
        return nodes.stream().map(NodeSpec::name).toList();
    }

    /** Builds a {@link ClusterSpec}; every setter validates at once. */
    public static final class Builder {
        private final String image;
        private final List<NodeSpec> nodes = new ArrayList<>();
        private List<String> command;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<Integer> hostPorts = new ArrayList<>();
        private final Map<String, byte[]> files = new LinkedHashMap<>();
        private Readiness readiness = Readiness.none();
        private Duration startTimeout = Duration.ofSeconds(60);
        private String dataDir = DATA_DIR;
        private int seedPort = PEER_PORT;
        private ClientSecurity clientSecurity = ClientSecurity.NONE;
        private boolean tallyImage;

        private Builder(String image) {
            this.image = Objects.requireNonNull(image, "image");
        }

        public Builder node(String name, String dc) {
            nodes.add(new NodeSpec(name, dc));
            return this;
        }

        /** The names of the nodes added so far. */
        public List<String> nodeNames() {
            return nodes.stream().map(NodeSpec::name).toList();
        }

        /** {@code count} nodes named {@code prefix1..prefixN} in {@code dc}. */
        public Builder nodes(String prefix, int count, String dc) {
            for (int i = 1; i <= count; i++) {
                node(prefix + i, dc);
            }
            return this;
        }

        public Builder command(String... command) {
            this.command = List.of(command);
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, Objects.requireNonNull(value, key));
            return this;
        }

        public Builder hostPorts(int... ports) {
            for (int p : ports) {
                if (p < 1 || p > 65535) {
                    throw new IllegalArgumentException("port must be in 1..65535, was " + p);
                }
                hostPorts.add(p);
            }
            return this;
        }

        public Builder file(String containerPath, byte[] content) {
            if (!containerPath.startsWith("/")) {
                throw new IllegalArgumentException("container path must be absolute, was " + containerPath);
            }
            files.put(containerPath, content.clone());
            return this;
        }

        public Builder readiness(Readiness readiness) {
            this.readiness = Objects.requireNonNull(readiness, "readiness");
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + timeout);
            }
            this.startTimeout = timeout;
            return this;
        }

        public Builder dataDir(String dir) {
            if (!dir.startsWith("/")) {
                throw new IllegalArgumentException("dataDir must be absolute, was " + dir);
            }
            this.dataDir = dir;
            return this;
        }

        public Builder seedPort(int port) {
            this.seedPort = port;
            return this;
        }

        /** How the suite's clients reach the nodes; plaintext without a token unless set. */
        public Builder clientSecurity(ClientSecurity security) {
            this.clientSecurity = Objects.requireNonNull(security, "security");
            return this;
        }

        public ClusterSpec build() {
            return new ClusterSpec(image, nodes, command, env, hostPorts, files, readiness, startTimeout, dataDir,
                    seedPort, clientSecurity, tallyImage);
        }
    }
}
