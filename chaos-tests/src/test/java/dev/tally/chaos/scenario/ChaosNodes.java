package dev.tally.chaos.scenario;

import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.docker.Images;
import java.time.Duration;
import java.util.Map;

/**
 * Tally node containers tuned for fault injection: failures noticed in about a second, deltas
 * pushed every 50 ms and anti-entropy every 400 ms, so a healed fault is repaired within a few
 * seconds; small JVMs, because five of them share two cores with the test.
 */
public final class ChaosNodes {

    /**
     * Node settings (TALLY_* variables). Bind and advertise come from {@code TallyCluster}
     * (0.0.0.0, advertising the container's name).
     */
    public static final Map<String, String> SETTINGS = Map.of(
            "TALLY_HEARTBEAT_INTERVAL", "200ms",
            "TALLY_FAILURE_TIMEOUT", "2s",
            "TALLY_GOSSIP_INTERVAL", "50ms",
            "TALLY_ANTI_ENTROPY_INTERVAL", "400ms",
            "TALLY_PEER_TIMEOUT", "1s",
            "TALLY_QUORUM_TIMEOUT", "2s",
            // Serial GC and C1 only: a node needs little heap here, and C2 compiling in five JVMs would starve the test.
            "JAVA_TOOL_OPTIONS", "-Xms32m -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k");

    /** Deadline of each client call: above the quorum timeout, so a quorum failure comes back in the node's own words. */
    public static final Duration CALL_DEADLINE = Duration.ofSeconds(3);

    private ChaosNodes() {}

    /**
     * A spec builder for Tally nodes of the image built from node/target/tally.jar, with the
     * settings above; add the nodes.
     */
    public static ClusterSpec.Builder spec() {
        ClusterSpec.Builder b = ClusterSpec.tallyNodes(Images.ensureNodeImage()).startTimeout(Duration.ofSeconds(90));
        SETTINGS.forEach(b::env);
        return b;
    }
}
