package dev.tally.node.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where the nodes of a local cluster live: node i (1-based) is {@code n<i>} in
 * {@code dc<1 + (i-1) mod dcs>}, on ports {@code base + 10*(i-1)} (+0 client, +1 peer, +2
 * membership, +3 metrics, +4 HTTP/JSON), with its data in {@code dir/n<i>/data} and its log in
 * {@code dir/n<i>/node.log}; the seeds are the first node of each DC.
 *
 * @param nodes how many nodes, 1..{@link #MAX_NODES}
 * @param dcs how many data centers, 1..nodes
 * @param dir the cluster's directory
 * @param basePort n1's client port
 */
public record LocalLayout(int nodes, int dcs, Path dir, int basePort) {
  /** More would not fit the port scheme comfortably, nor a laptop. */
  public static final int MAX_NODES = 20;
  /** Ports per node: client, peer, membership, metrics, HTTP, and room to spare. */
  public static final int PORT_STRIDE = 10;

  /** One node of the layout. */
  public record Node(String name, String dc, int clientPort, int peerPort, int metricsPort, Path home) {
    public int membershipPort() {
      return peerPort + 1;
    }

    /** The HTTP/JSON port: client port + 4. */
    public int httpPort() {
      return clientPort + 4;
    }

    public String httpAddress() {
      return "http://127.0.0.1:" + httpPort();
    }

    public Path dataDir() {
      return home.resolve("data");
    }

    public Path log() {
      return home.resolve("node.log");
    }

    public String clientAddress() {
      return "127.0.0.1:" + clientPort;
    }
  }

  /** @throws IllegalArgumentException naming the option that is out of range */
  public LocalLayout {
    Objects.requireNonNull(dir, "dir");
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new IllegalArgumentException("--nodes must be 1.." + MAX_NODES + ", got " + nodes);
    }
    if (dcs < 1 || dcs > nodes) {
      throw new IllegalArgumentException("--dcs must be 1..--nodes (" + nodes + "), got " + dcs);
    }
    int last = basePort + PORT_STRIDE * (nodes - 1) + 4;
    if (basePort < 1024 || last > 65_535) {
      throw new IllegalArgumentException("--base-port must leave room for " + nodes + " nodes: 1024.."
          + (65_535 - PORT_STRIDE * (nodes - 1) - 4) + ", got " + basePort);
    }
  }

  public List<Node> all() {
    List<Node> out = new ArrayList<>(nodes);
    for (int i = 1; i <= nodes; i++) {
      int base = basePort + PORT_STRIDE * (i - 1);
      out.add(new Node("n" + i, "dc" + (1 + (i - 1) % dcs), base, base + 1, base + 3, dir.resolve("n" + i)));
    }
    return out;
  }

  /** The first node of each DC, as host:peer-port. */
  public List<String> seeds() {
    List<String> out = new ArrayList<>();
    for (Node n : all().subList(0, dcs)) {
      out.add("127.0.0.1:" + n.peerPort());
    }
    return out;
  }
}
