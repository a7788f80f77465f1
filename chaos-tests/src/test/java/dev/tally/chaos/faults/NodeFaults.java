package dev.tally.chaos.faults;

import dev.tally.chaos.cluster.ClusterNode;
import dev.tally.chaos.cluster.TallyCluster;

/** Faults of one node's process or network attachment. */
public final class NodeFaults {

    private NodeFaults() {}

    /** SIGKILL (no shutdown hook, as a crash or the OOM killer); healed by starting it again on the same data. */
    public record Kill(String node) implements Fault {
        @Override
        public String describe() {
            return "kill -9 " + node;
        }

        @Override
        public Healer inject(TallyCluster cluster) {
            ClusterNode n = cluster.node(node);
            n.kill();
            return n::start;
        }
    }

    /** Freezes the node (a hung process: its sockets stay open but nothing answers); healed by resuming it. */
    public record Pause(String node) implements Fault {
        @Override
        public String describe() {
            return "pause " + node;
        }

        @Override
        public Healer inject(TallyCluster cluster) {
            ClusterNode n = cluster.node(node);
            n.pause();
            return n::unpause;
        }
    }

    /** SIGKILL, then the data directory deleted (a replaced disk); healed by starting it empty. */
    public record WipeData(String node) implements Fault {
        @Override
        public String describe() {
            return "kill -9 and wipe " + node;
        }

        @Override
        public Healer inject(TallyCluster cluster) {
            ClusterNode n = cluster.node(node);
            n.kill();
            n.wipeData();
            return n::start;
        }
    }

    /** Takes the node off the Docker network (cable pulled: peers and clients lose it); healed by reattaching it. */
    public record Disconnect(String node) implements Fault {
        @Override
        public String describe() {
            return "disconnect " + node + " from the network";
        }

        @Override
        public Healer inject(TallyCluster cluster) {
            ClusterNode n = cluster.node(node);
            String ip = n.ip();
            n.disconnect();
            return () -> {
                n.reconnect();
                String now = n.ipIfConnected().orElse("(none)");
                if (!now.equals(ip)) {
                    // Tally nodes bind 0.0.0.0 and are reached by name, so this is fine for them; a
                    // test that resolved the old address itself would have to look it up again.
                    System.out.println("note: " + node + " came back on " + now + ", not " + ip);
                }
            };
        }
    }
}
