package dev.tally.testcontainers;

import com.github.dockerjava.api.model.ExposedPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * One Tally node in a container, for tests: {@code new TallyContainer("tally-node:dev")}.
 *
 * <p>It publishes the client port (gRPC, {@link #getTarget()}), the metrics port ({@link
 * #getMetricsUrl()}, {@code /health}) and, when the image exposes it, the HTTP gateway port
 * ({@link #getHttpUrl()}). {@link #start()} returns once the node's {@code /health} answers 200,
 * which the node does only when it serves clients (gRPC health SERVING: replica id confirmed, store
 * taking writes), so the first call of a test does not race the node's start; a node that exits
 * (say, refusing a setting) fails the start at once with its log.
 *
 * <p>Settings: {@link #withSetting} takes any node setting by its key (docs/configuration.md) and
 * passes it as the {@code TALLY_*} environment variable; {@link #withName} and {@link #withDc}
 * set the two the container also uses itself (hostname, network alias, certificate name).
 * {@link #withTls()} turns TLS on with a throwaway CA made by the image's own {@code tally certs
 * create}; the test trusts {@link #getCaCertificatePath()}.
 *
 * <p>The image contract (deploy/docker/Dockerfile): ports 7400-7404, configuration from
 * {@code TALLY_*}, the node jar at {@value TallyCertificates#IMAGE_JAR}.
 *
 * <p>Not thread-safe while configured (like every {@link GenericContainer}); the getters may be
 * called from any thread once it runs.
 */
public class TallyContainer extends GenericContainer<TallyContainer> {

    /** Client gRPC port (CounterService, ClusterService, health). */
    public static final int CLIENT_PORT = 7400;
    /** Node-to-node gRPC port; membership listens on the next port (TCP and UDP). */
    public static final int PEER_PORT = 7401;
    public static final int MEMBERSHIP_PORT = 7402;
    /** HTTP {@code /metrics} (Prometheus) and {@code /health}. */
    public static final int METRICS_PORT = 7403;
    /** HTTP/JSON gateway; published only when the image exposes it. */
    public static final int HTTP_PORT = 7404;

    /** The default wait for {@code /health} 200: a cold JVM on a busy CI machine takes a while. */
    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(120);

    static final String TLS_DIR = "/etc/tally/tls";

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z][a-z0-9-]{0,30}");
    private static final Pattern SETTING_KEY = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    /** Settings the container derives from its own state; setting them directly would break that. */
    private static final Map<String, String> OWN_SETTINGS = Map.of(
            "name", "withName", "dc", "withDc", "tls-cert", "withTls", "tls-key", "withTls", "tls-ca", "withTls",
            "host", "(the container binds 0.0.0.0)", "advertise-host", "(the container advertises its name)");

    private String name = "tally";
    private String dc = "dc1";
    private final Map<String, String> settings = new LinkedHashMap<>();
    private boolean tls;
    private TallyCertificates certificates;

    public TallyContainer(String image) {
        this(DockerImageName.parse(image));
    }

    public TallyContainer(DockerImageName image) {
        super(image);
        addExposedPorts(CLIENT_PORT, METRICS_PORT);
        waitingFor(new HealthWait().withStartupTimeout(DEFAULT_STARTUP_TIMEOUT));
    }

    /**
     * A node setting by its key, e.g. {@code withSetting("durability", "sync")} or {@code
     * withSetting("gossip-interval", "50ms")}; it becomes {@code TALLY_DURABILITY=sync}. The node
     * checks the value at start and refuses to start (the container fails to start, its log names
     * the key) when it is wrong.
     *
     * @throws IllegalArgumentException for a key that is not lower-case words joined by dashes, or
     *     one the container sets itself (name, dc, TLS files, bind and advertise addresses)
     */
    public TallyContainer withSetting(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, () -> "value of " + key);
        if (!SETTING_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("setting key must be lower-case words joined by '-' as in"
                    + " docs/configuration.md (e.g. gossip-interval), was '" + key + "'");
        }
        String instead = OWN_SETTINGS.get(key);
        if (instead != null) {
            throw new IllegalArgumentException("setting '" + key + "' is set by TallyContainer itself; use " + instead);
        }
        settings.put(key, value);
        return self();
    }

    /** The environment variable of a setting key: {@code gossip-interval} -> {@code TALLY_GOSSIP_INTERVAL}. */
    public static String envVar(String key) {
        return "TALLY_" + key.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /**
     * The node's name (default {@code tally}): its TALLY_NAME, hostname, network alias and the name
     * in its certificate. A DNS label of 1 to 31 characters.
     */
    public TallyContainer withName(String name) {
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("node name must be a DNS label of 1..31 chars [a-z0-9-] starting with"
                    + " a letter, was " + name);
        }
        this.name = name;
        return self();
    }

    /** The node's data-center label (default {@code dc1}). */
    public TallyContainer withDc(String dc) {
        if (dc == null || !DNS_LABEL.matcher(dc).matches()) {
            throw new IllegalArgumentException("dc must be a DNS label of 1..31 chars [a-z0-9-] starting with a letter,"
                    + " was " + dc);
        }
        this.dc = dc;
        return self();
    }

    /**
     * TLS on every port of the node: a throwaway CA and a certificate for this node (its name,
     * {@code localhost}, {@code 127.0.0.1} and the Docker host), made at start by the image's own
     * {@code tally certs create}, mutual TLS between peers. Clients must trust {@link
     * #getCaCertificatePath()}; plaintext clients are refused.
     */
    public TallyContainer withTls() {
        this.tls = true;
        return self();
    }

    /** TLS with certificates made beforehand (a cluster shares one CA); they must name this node. */
    public TallyContainer withTls(TallyCertificates certificates) {
        this.tls = true;
        this.certificates = Objects.requireNonNull(certificates, "certificates");
        return self();
    }

    public String getName() {
        return name;
    }

    public String getDc() {
        return dc;
    }

    public boolean isTls() {
        return tls;
    }

    /** The settings given with {@link #withSetting}, by key. */
    public Map<String, String> getSettings() {
        return Map.copyOf(settings);
    }

    @Override
    protected void configure() {
        super.configure();
        withCreateContainerCmdModifier(cmd -> cmd.withHostName(name));
        if (getNetwork() != null && !getNetworkAliases().contains(name)) {
            withNetworkAliases(name);
        }
        withEnv("TALLY_NAME", name);
        withEnv("TALLY_DC", dc);
        // Bind every interface; peers and clients are told the name (a network alias when on a network).
        withEnv("TALLY_HOST", "0.0.0.0");
        withEnv("TALLY_ADVERTISE_HOST", name);
        withEnv("TALLY_METRICS_HOST", "0.0.0.0");
        settings.forEach((k, v) -> withEnv(envVar(k), v));
        if (tls) {
            if (certificates == null) {
                certificates = TallyCertificates.create(DockerImageName.parse(getDockerImageName()), List.of(name), List.of(
                        DockerClientFactory.instance().dockerHostIpAddress()));
            }
            withCopyToContainer(Transferable.of(certificates.ca(), 0644), TLS_DIR + "/ca.pem");
            // 0644: the files belong to root and the node runs as user tally; they are throwaway.
            withCopyToContainer(Transferable.of(certificates.certificate(name), 0644), TLS_DIR + "/" + name + ".pem");
            withCopyToContainer(Transferable.of(certificates.key(name), 0644), TLS_DIR + "/" + name + "-key.pem");
            withEnv("TALLY_TLS_CERT", TLS_DIR + "/" + name + ".pem");
            withEnv("TALLY_TLS_KEY", TLS_DIR + "/" + name + "-key.pem");
            withEnv("TALLY_TLS_CA", TLS_DIR + "/ca.pem");
        }
        if (imageExposes(HTTP_PORT) && !getExposedPorts().contains(HTTP_PORT)) {
            addExposedPort(HTTP_PORT);
        }
    }

    private boolean imageExposes(int port) {
        ExposedPort[] exposed = DockerClientFactory.instance().client().inspectImageCmd(getDockerImageName()).exec()
                .getConfig().getExposedPorts();
        return exposed != null && Arrays.stream(exposed).anyMatch(p -> p.getPort() == port
                && "tcp".equals(p.getProtocol().toString()));
    }

    /** {@code host:port} of the client port, for {@code TallyClient.builder().target(...)} or {@code tally --target}. */
    public String getTarget() {
        return getHost() + ":" + getMappedPort(CLIENT_PORT);
    }

    /** {@code http://host:port/metrics}: the node's Prometheus text. */
    public String getMetricsUrl() {
        return "http://" + getHost() + ":" + getMappedPort(METRICS_PORT) + "/metrics";
    }

    /** {@code http://host:port/health}: 200 while the node serves. */
    public String getHealthUrl() {
        return "http://" + getHost() + ":" + getMappedPort(METRICS_PORT) + "/health";
    }

    /** Whether the image has the HTTP gateway port (7404), which is then published. */
    public boolean hasHttpPort() {
        return getExposedPorts().contains(HTTP_PORT);
    }

    /**
     * {@code http://host:port} of the HTTP gateway.
     *
     * @throws IllegalStateException when the image does not expose port 7404
     */
    public String getHttpUrl() {
        if (!hasHttpPort()) {
            throw new IllegalStateException("image " + getDockerImageName() + " does not expose the HTTP port "
                    + HTTP_PORT + " (a node image older than the HTTP gateway)");
        }
        return (tls ? "https://" : "http://") + getHost() + ":" + getMappedPort(HTTP_PORT);
    }

    /**
     * The CA certificate (PEM) a client trusts to reach this node over TLS, e.g. {@code
     * TallyClient.builder().useTls(container.getCaCertificatePath())}.
     *
     * @throws IllegalStateException when TLS is off, or before start (the CA is made at start)
     */
    public Path getCaCertificatePath() {
        if (!tls) {
            throw new IllegalStateException("TLS is off for node " + name + "; turn it on with withTls()");
        }
        if (certificates == null) {
            throw new IllegalStateException("the CA of node " + name + " is made at start; start the container first");
        }
        return certificates.caPath();
    }

    /** The node's certificates (TLS on and started, or given with {@link #withTls(TallyCertificates)}). */
    public TallyCertificates getCertificates() {
        if (certificates == null) {
            throw new IllegalStateException("node " + name + " has no certificates (TLS off, or not started)");
        }
        return certificates;
    }
}
