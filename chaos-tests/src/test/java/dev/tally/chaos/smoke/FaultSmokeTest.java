package dev.tally.chaos.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.cluster.ClusterSpec;
import dev.tally.chaos.cluster.DumpClusterOnFailure;
import dev.tally.chaos.cluster.Readiness;
import dev.tally.chaos.cluster.TallyCluster;
import dev.tally.chaos.docker.Images;
import dev.tally.chaos.docker.RequiresDocker;
import dev.tally.chaos.faults.Fault;
import dev.tally.chaos.faults.FaultKind;
import dev.tally.chaos.faults.FaultRunner;
import dev.tally.chaos.faults.FaultSchedule;
import dev.tally.chaos.faults.Faults;
import dev.tally.chaos.faults.LinkShaping;
import dev.tally.chaos.faults.NodeFaults;
import dev.tally.chaos.faults.Partition;
import dev.tally.chaos.seed.ChaosSeed;
import dev.tally.chaos.smoke.Probe.Reach;
import dev.tally.chaos.smoke.Probe.Result;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves every fault of the harness really cuts and heals traffic between containers, through
 * the fault API, on plain tally-runtime:17 containers running an echo server (the node itself
 * comes in the next wave). Four nodes in two DCs share one cluster; every test heals its fault
 * and the full mesh must answer again afterwards.
 */
@RequiresDocker
class FaultSmokeTest {

    private static final int PORT = 7400;
    private static final String SMOKE_DIR = "/opt/tally-smoke";
    private static final List<String> NODES = List.of("a1", "a2", "b1", "b2");

    private static TallyCluster cluster;
    private static Faults faults;

    @RegisterExtension
    final DumpClusterOnFailure dump = new DumpClusterOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() throws IOException {
        String classFile = TcpEchoServer.class.getName().replace('.', '/') + ".class";
        byte[] echoClass;
        try (InputStream in = TcpEchoServer.class.getClassLoader().getResourceAsStream(classFile)) {
            echoClass = in.readAllBytes();
        }
        cluster = TallyCluster.start(ClusterSpec.builder(Images.ensureRuntimeImage())
                .node("a1", "dca").node("a2", "dca").node("b1", "dcb").node("b2", "dcb")
                .file(SMOKE_DIR + "/" + classFile, echoClass)
                .command("java", "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", SMOKE_DIR,
                        TcpEchoServer.class.getName(), Integer.toString(PORT))
                .hostPorts(PORT)
                .readiness(Readiness.echo(PORT))
                .startTimeout(Duration.ofSeconds(60))
                .build());
        faults = new Faults(cluster.topology(), List.of(PORT));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void everyPairAnswersAgain() {
        assertFullMesh();
    }

    private static Map<String, Reach> mesh(int timeoutSeconds) {
        return Probe.mesh(cluster.nodes(), NODES, PORT, timeoutSeconds);
    }

    private static void assertFullMesh() {
        assertThat(mesh(2)).as("every node reaches every other").containsOnlyKeys(allPairs())
                .allSatisfy((pair, reach) -> assertThat(reach).as(pair).isEqualTo(Reach.OK));
    }

    private static List<String> allPairs() {
        return NODES.stream().flatMap(a -> NODES.stream().filter(b -> !a.equals(b)).map(b -> a + "->" + b)).toList();
    }

    private static Reach probe(String from, String to, int timeoutSeconds) {
        return Probe.from(cluster.node(from), List.of(to), PORT, timeoutSeconds).get(0).reach();
    }

    private static boolean hostEchoWorks(ClusterNode node) {
        return Readiness.echo(PORT).isReady(node);
    }

    @Test
    void dcPartition_rejectsCrossDcTrafficFast_keepsEachDcAndClients_andHeals() {
        Fault partition = faults.dcPartition();
        assertThat(partition.describe()).isEqualTo("partition dca [a1, a2] | dcb [b1, b2]");

        Fault.Healer healer = partition.inject(cluster);
        Map<String, Reach> cut = mesh(2);
        healer.heal();

        assertThat(cut).containsEntry("a1->a2", Reach.OK).containsEntry("b2->b1", Reach.OK)
                .containsEntry("a1->b1", Reach.REFUSED).containsEntry("a2->b2", Reach.REFUSED)
                .containsEntry("b1->a1", Reach.REFUSED).containsEntry("b2->a2", Reach.REFUSED);
        // Only node-to-node traffic is cut: the test host (the clients) still reaches both sides.
        healer = partition.inject(cluster);
        try {
            assertThat(cluster.nodes()).allSatisfy(n -> assertThat(hostEchoWorks(n)).as(n.name()).isTrue());
        } finally {
            healer.heal();
        }
    }

    @Test
    void isolateWithDrop_silencesTheNodeUntilTimeouts_andHeals() {
        Fault.Healer healer = faults.isolate("a1").withMode(Partition.Mode.DROP).inject(cluster);
        try {
            assertThat(probe("a1", "b1", 1)).isEqualTo(Reach.TIMEOUT);
            assertThat(probe("b2", "a1", 1)).isEqualTo(Reach.TIMEOUT);
            assertThat(probe("a2", "b2", 1)).isEqualTo(Reach.OK);
        } finally {
            healer.heal();
        }
    }

    @Test
    void oneWay_dropsOneDirectionOnly() {
        // b1 refuses packets from a1; a1 accepts everything from b1.
        Fault.Healer healer = Partition.oneWay(Set.of("a1"), Set.of("b1")).inject(cluster);
        try {
            assertThat(probe("a1", "b1", 1)).isEqualTo(Reach.REFUSED);  // a1's SYN reaches b1's filter: reset
            assertThat(probe("b1", "a1", 1)).isEqualTo(Reach.TIMEOUT);  // b1's SYN arrives, a1's answer is refused
            assertThat(probe("a1", "b2", 1)).isEqualTo(Reach.OK);
            assertThat(cluster.node("a1").execAsRoot("iptables", "-S", "INPUT").stdout()).doesNotContain("-s ");
        } finally {
            healer.heal();
        }
    }

    @Test
    void bridge_leavesOnlyTheBridgeTalkingToBothHalves() {
        Fault.Healer healer = Partition.bridge(Set.of("a1"), "a2", Set.of("b1", "b2")).inject(cluster);
        try {
            assertThat(mesh(1)).containsEntry("a1->a2", Reach.OK).containsEntry("a2->b1", Reach.OK)
                    .containsEntry("b2->a2", Reach.OK).containsEntry("a1->b1", Reach.REFUSED)
                    .containsEntry("b2->a1", Reach.REFUSED).containsEntry("b1->b2", Reach.OK);
        } finally {
            healer.heal();
        }
    }

    @Test
    void disconnect_takesTheNodeOffTheNetwork_andReconnectRestoresNameAndHostPort() {
        ClusterNode b2 = cluster.node("b2");
        InetSocketAddress before = b2.hostAddress(PORT).orElseThrow();

        Fault.Healer healer = new NodeFaults.Disconnect("b2").inject(cluster);
        Reach fromPeer = probe("a1", "b2", 1);
        boolean hostReachable = hostEchoWorks(b2);
        assertThat(b2.ipIfConnected()).isEmpty();
        healer.heal();

        assertThat(fromPeer).isEqualTo(Reach.UNREACHABLE);
        assertThat(hostReachable).isFalse();
        assertThat(b2.hostAddress(PORT)).as("published again (port was %s)", before.getPort()).isPresent();
        assertThat(hostEchoWorks(b2)).isTrue();
    }

    @Test
    void pause_nodeAcceptsConnectionsButNeverAnswers_andResumes() {
        Fault.Healer healer = new NodeFaults.Pause("b1").inject(cluster);
        try {
            assertThat(cluster.node("b1").state()).isEqualTo("paused");
            assertThat(probe("a1", "b1", 1)).isEqualTo(Reach.NO_REPLY);
        } finally {
            healer.heal();
        }
        assertThat(probe("a1", "b1", 2)).isEqualTo(Reach.OK);
    }

    @Test
    void killAndStart_keepTheDataDir_whileWipeEmptiesIt() {
        ClusterNode a2 = cluster.node("a2");
        a2.shAsRoot("write a marker", "echo kept > /var/lib/tally/marker");

        Fault.Healer killed = new NodeFaults.Kill("a2").inject(cluster);
        assertThat(a2.state()).isEqualTo("exited(137)");
        assertThat(probe("b1", "a2", 1)).isNotEqualTo(Reach.OK);
        killed.heal();
        assertThat(a2.execAsRoot("cat", "/var/lib/tally/marker").stdout().strip()).isEqualTo("kept");

        Fault.Healer wiped = new NodeFaults.WipeData("a2").inject(cluster);
        assertThat(a2.state()).isEqualTo("exited(137)");
        wiped.heal();
        assertThat(a2.execAsRoot("ls", "-A", "/var/lib/tally").stdout()).isEmpty();
        assertThat(probe("b1", "a2", 2)).isEqualTo(Reach.OK);
    }

    @Test
    void interDcLatency_delaysCrossDcRoundTripsByAtLeastTwiceTheDelay_andLossCutsThem() {
        // A connection opened before the fault (like a gRPC channel) must not escape it: it is reset
        // and the next one goes through the shaping.
        ClusterNode a1 = cluster.node("a1");
        a1.shAsRoot("clear", "rm -f /tmp/conn.log");
        a1.execDetached("root", "bash", "-c", "exec 3<>/dev/tcp/b1/" + PORT + " || exit 1;"
                + " while echo x >&3 && read -t 5 l <&3; do echo alive >> /tmp/conn.log; sleep 0.1; done;"
                + " echo reset >> /tmp/conn.log");
        Awaitility.await("long-lived connection up").atMost(Duration.ofSeconds(10))
                .until(() -> a1.execAsRoot("grep", "-q", "alive", "/tmp/conn.log").succeeded());

        Fault slow = faults.interDcLatency("dca", "dcb", Duration.ofMillis(150), Duration.ZERO, 0);
        Fault.Healer healer = slow.inject(cluster);
        Result cross;
        Result local;
        try {
            Awaitility.await("connection opened before the fault reset").atMost(Duration.ofSeconds(10))
                    .until(() -> a1.execAsRoot("grep", "-q", "reset", "/tmp/conn.log").succeeded());
            cross = Probe.from(cluster.node("a1"), List.of("b1"), PORT, 3).get(0);
            local = Probe.from(cluster.node("a1"), List.of("a2"), PORT, 3).get(0);
        } finally {
            healer.heal();
        }
        System.out.println("with +150 ms each way: " + cross + ", within the DC: " + local);
        assertThat(cross.reach()).isEqualTo(Reach.OK);
        // A lower bound only: the shaping guarantees it, however busy the machine.
        assertThat(cross.millis()).isGreaterThanOrEqualTo(300);
        assertThat(local.reach()).isEqualTo(Reach.OK);

        Fault.Healer lossy = new LinkShaping("b2", Set.of("a2"), Duration.ofMillis(10), Duration.ZERO, 100,
                List.of(PORT)).inject(cluster);
        try {
            assertThat(probe("b2", "a2", 1)).isIn(Reach.NO_REPLY, Reach.TIMEOUT);
            assertThat(probe("b2", "a1", 1)).isEqualTo(Reach.OK);
        } finally {
            lossy.heal();
        }
    }

    @Test
    void faultSchedule_drawnFromTheSeed_injectsAndHealsEveryStep() throws InterruptedException {
        long seed = ChaosSeed.resolve("FaultSmokeTest.faultSchedule");
        FaultSchedule schedule = FaultSchedule.random(seed, faults, EnumSet.allOf(FaultKind.class), 4,
                Duration.ofMillis(300), Duration.ofMillis(800), Duration.ofMillis(200));

        try (FaultRunner runner = new FaultRunner(cluster, schedule)) {
            runner.start();
            runner.awaitCompletion(Duration.ofSeconds(60));
            assertThat(runner.log()).hasSize(2 * schedule.steps().size())
                    .allSatisfy(l -> assertThat(l).containsAnyOf("injected ", "healed "));
        }
        for (ClusterNode n : cluster.nodes()) {
            cluster.awaitReady(n);
        }
    }

    @Test
    void diagnostics_showEveryNodesStateAddressesFaultRulesAndLogTail() {
        Fault.Healer healer = faults.isolate("b2").inject(cluster);
        String d;
        try {
            d = cluster.diagnostics();
        } finally {
            healer.heal();
        }
        for (String n : NODES) {
            assertThat(d).contains("node " + n + " (" + cluster.node(n).dc() + ") container")
                    .contains(cluster.node(n).ip());
        }
        assertThat(d).contains("[running]").contains("7400->localhost/").contains("fault rules:")
                .contains("-j REJECT --reject-with tcp-reset").contains("| echo server listening on 7400");
    }
}
