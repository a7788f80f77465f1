package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.crdt.StateMessages;
import dev.tally.node.TallyNode;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.storage.RocksStateStore;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import dev.tally.peer.v1.ReadStatesRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, defect 10: no store read runs on a gRPC (netty) event loop, whatever the call: a read
 * that waits for the disk there would stall every other call on that loop.
 */
class ReadThreadsTest {
  private static final NodeRef PEER = NodeRef.newBuilder().setName("other").setDc("dc1").build();

  @TempDir
  Path dir;

  /** One store read: what it was and the thread that made it. */
  record Read(String what, String thread, boolean eventLoop) {}

  @Test
  void storeReads_forEveryClientAndPeerCall_neverRunOnAnEventLoop() throws Exception {
    ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
    RocksStateStore.ReadHook hook = what -> {
      Thread t = Thread.currentThread();
      reads.add(new Read(what, t.getName(), isEventLoop(t)));
    };
    try (TallyNode node = TallyNode.start(TestNodes.config(dir, "cluster-id", "blue"),
        TallyNode.Options.defaults().withStoreReadHook(hook))) {
      ManagedChannel client = TestNodes.channel(node);
      ManagedChannel peer = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
      try {
        reads.clear(); // start-up's digest-tree scan is not a call
        CounterServiceGrpc.CounterServiceBlockingStub stub = TestNodes.blocking(client);
        stub.increment(IncrementRequest.newBuilder().setKey("k").setRequestId("r1").build());
        assertThat(stub.get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(1);
        assertThat(stub.getMany(GetManyRequest.newBuilder().addKeys("k").addKeys("other").build()).getValuesCount())
            .isEqualTo(2);
        try (Context.CancellableContext watch = Context.current().withCancellation()) {
          watch.run(() -> {
            Iterator<CounterValue> values = stub.watch(WatchRequest.newBuilder().addKeys("k").build());
            assertThat(values.next().getValue()).isEqualTo(1);
          });
        }
        PeerServiceGrpc.PeerServiceBlockingStub peerStub = PeerServiceGrpc.newBlockingStub(peer)
            .withInterceptors(ClusterIdInterceptors.client("blue", "other")).withDeadlineAfter(10, TimeUnit.SECONDS);
        peerStub.pushDelta(DeltaBatch.newBuilder().setFrom(PEER)
            .addStates(StateMessages.toMessage("k", PnCounter.EMPTY.increment(0x77, 5, 1_000))).build());
        assertThat(peerStub.readStates(ReadStatesRequest.newBuilder().setFrom(PEER).addKeys("k").build())
            .getStatesCount()).isEqualTo(1);
      } finally {
        TestNodes.shutdown(client);
        TestNodes.shutdown(peer);
      }
    }

    List<Read> all = List.copyOf(reads);
    assertThat(all).as("the calls read the store").extracting(Read::what).contains("get", "dedupe");
    assertThat(all).as("store reads on an event loop").filteredOn(Read::eventLoop).isEmpty();
  }

  /** Netty's event-loop threads are FastThreadLocalThreads named after their group (grpc-nio-worker-ELG-...). */
  private static boolean isEventLoop(Thread t) {
    String name = t.getName();
    return t instanceof FastThreadLocalThread || name.contains("-ELG-") || name.startsWith("grpc-nio-worker")
        || name.startsWith("grpc-default-worker") || name.contains("epoll");
  }
}
