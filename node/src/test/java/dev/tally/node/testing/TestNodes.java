package dev.tally.node.testing;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.node.TallyNode;
import dev.tally.node.config.ConfigLoader;
import dev.tally.node.config.NodeConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Nodes and channels for tests: loopback, a free client port, metrics off unless asked. */
public final class TestNodes {
  private TestNodes() {}

  /**
   * A config for {@code dir} with port 0, free peer ports (peer-port and peer-port + 1, so tests
   * never meet on the default 7401/7402) and metrics off; {@code overrides} are key, value pairs.
   */
  public static NodeConfig config(Path dir, String... overrides) {
    Map<String, String> flags = new HashMap<>();
    flags.put("name", "test-node");
    flags.put("data-dir", dir.toString());
    flags.put("port", "0");
    flags.put("peer-port", Integer.toString(freePeerPort()));
    flags.put("metrics-port", "0");
    flags.put("http-port", "0");
    for (int i = 0; i < overrides.length; i += 2) {
      flags.put(overrides[i], overrides[i + 1]);
    }
    return ConfigLoader.load(flags, Map.of()).config();
  }

  public static TallyNode start(Path dir, String... overrides) {
    return TallyNode.start(config(dir, overrides));
  }

  public static ManagedChannel channel(TallyNode node) {
    return channel(node.clientPort());
  }

  public static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
        .maxInboundMessageSize(32 << 20).build();
  }

  public static CounterServiceGrpc.CounterServiceBlockingStub blocking(ManagedChannel channel) {
    return CounterServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public static void shutdown(ManagedChannel channel) {
    if (channel == null) {
      return;
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A loopback port P that was free a moment ago with P + 1 free too (TCP and UDP): a node's peer
   * port, whose membership port is the next one.
   */
  public static int freePeerPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int p = freePort();
      if (p >= 65_534) {
        continue;
      }
      try (ServerSocket a = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress());
          ServerSocket b = new ServerSocket(p + 1, 1, java.net.InetAddress.getLoopbackAddress());
          java.net.DatagramSocket u = new java.net.DatagramSocket(p + 1, java.net.InetAddress.getLoopbackAddress())) {
        a.setReuseAddress(true);
        b.setReuseAddress(true);
        return p;
      } catch (IOException e) {
        // taken meanwhile: try another
      }
    }
    throw new IllegalStateException("no free pair of loopback ports found");
  }

  /** A loopback port that was free a moment ago. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
