package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A watch client that stops reading: the gateway stops asking the Watch for values once its
 * bounded write buffer is full, the Watch falls max-watch-pending-updates behind and ends with
 * RESOURCE_EXHAUSTED, and the client, when it reads again, finds what was buffered and an error
 * event; its Watch slot is free. Memory stays bounded instead of growing with the writes.
 */
class HttpSlowReaderTest {
  @TempDir
  Path dir;

  @Test
  void readerThatStopsReading_isCutOff() throws Exception {
    try (TallyNode node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()),
        "max-watch-pending-updates", "1000", "durability", "async")) {
      ManagedChannel channel = TestNodes.channel(node);
      CounterServiceGrpc.CounterServiceBlockingStub grpc = TestNodes.blocking(channel);
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        keys.add(i + "-" + "k".repeat(3000));
      }
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", node.httpPort()));
        s.getOutputStream().write(("GET /v1/counters:watch?keys=" + String.join(",", keys)
            + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        long batches = 0;
        while (node.openWatchStreams() > 0 || batches == 0) {
          IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
          keys.forEach(k -> b.addItems(IncrementManyRequest.Item.newBuilder().setKey(k)));
          grpc.incrementMany(b.build());
          batches++;
          assertThat(batches).as("the unread stream was never cut off").isLessThan(20_000);
        }
        System.out.println("cut off after " + batches + " batches of " + keys.size() + " increments");
        InputStream in = s.getInputStream();
        String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(all).startsWith("HTTP/1.1 200").contains("event: value");
        assertThat(all).contains("event: error").contains("RESOURCE_EXHAUSTED");
      }
      assertThat(node.openWatchStreams()).isZero();
      TestNodes.shutdown(channel);
    }
  }
}
