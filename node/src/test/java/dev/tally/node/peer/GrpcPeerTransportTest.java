package dev.tally.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.node.config.HostPort;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gRPC transport against stand-in peer servers on loopback. */
class GrpcPeerTransportTest {
  private final Map<String, HostPort> addresses = new ConcurrentHashMap<>();
  private final Map<String, String> headersSeen = new ConcurrentHashMap<>();
  private GrpcPeerTransport transport;
  private Server answering;
  private Server silent;

  /** Acks every push with changed = its state count, and remembers the headers of the last call. */
  private Server answeringServer(int changed) throws IOException {
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
        headersSeen.put("cluster", String.valueOf(h.get(PeerHeaders.CLUSTER_ID)));
        headersSeen.put("from", String.valueOf(h.get(PeerHeaders.FROM_NODE)));
        return next.startCall(call, h);
      }
    };
    PeerServiceGrpc.PeerServiceImplBase service = new PeerServiceGrpc.PeerServiceImplBase() {
      @Override
      public void pushDelta(DeltaBatch request, StreamObserver<DeltaAck> responses) {
        responses.onNext(DeltaAck.newBuilder().setChanged(changed).build());
        responses.onCompleted();
      }
    };
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(service, capture)).build().start();
  }

  /** Never answers a push. */
  private Server silentServer() throws IOException {
    PeerServiceGrpc.PeerServiceImplBase service = new PeerServiceGrpc.PeerServiceImplBase() {
      @Override
      public void pushDelta(DeltaBatch request, StreamObserver<DeltaAck> responses) {}
    };
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
  }

  private GrpcPeerTransport transport(Duration timeout) {
    transport = new GrpcPeerTransport(name -> Optional.ofNullable(addresses.get(name)), timeout,
        List.of(ClusterIdInterceptors.client("blue", "me")));
    return transport;
  }

  @AfterEach
  void stop() {
    if (transport != null) {
      transport.close();
    }
    for (Server s : new Server[] {answering, silent}) {
      if (s != null) {
        s.shutdownNow();
      }
    }
  }

  private static Status failure(CompletableFuture<?> f) throws InterruptedException {
    try {
      f.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got " + f.join());
    } catch (ExecutionException e) {
      return Status.fromThrowable(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the call never completed", e);
    }
  }

  @Test
  void pushDelta_reachesThePeerAtItsAnnouncedAddress_withClusterIdAndSenderHeaders() throws Exception {
    answering = answeringServer(3);
    addresses.put("n2", new HostPort("127.0.0.1", answering.getPort()));

    DeltaAck ack = transport(Duration.ofSeconds(2)).pushDelta("n2", DeltaBatch.getDefaultInstance()).get(10, TimeUnit.SECONDS);

    assertThat(ack.getChanged()).isEqualTo(3);
    assertThat(headersSeen).containsEntry("cluster", "blue").containsEntry("from", "me");
  }

  @Test
  void call_toAPeerWithNoKnownAddress_failsAtOnce() throws Exception {
    Status s = failure(transport(Duration.ofSeconds(2)).pushDelta("ghost", DeltaBatch.getDefaultInstance()));
    assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(s.getDescription()).contains("no peer address known for member 'ghost'");
  }

  @Test
  void call_toAPeerThatNeverAnswers_failsAtTheDeadline() throws Exception {
    silent = silentServer();
    addresses.put("hung", new HostPort("127.0.0.1", silent.getPort()));

    Status s = failure(transport(Duration.ofMillis(200)).pushDelta("hung", DeltaBatch.getDefaultInstance()));

    assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void peerThatMoved_isCalledAtItsNewAddress() throws Exception {
    answering = answeringServer(1);
    silent = silentServer();
    addresses.put("n2", new HostPort("127.0.0.1", silent.getPort()));
    GrpcPeerTransport t = transport(Duration.ofMillis(200));
    assertThat(failure(t.pushDelta("n2", DeltaBatch.getDefaultInstance())).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);

    addresses.put("n2", new HostPort("127.0.0.1", answering.getPort()));

    assertThat(t.pushDelta("n2", DeltaBatch.getDefaultInstance()).get(10, TimeUnit.SECONDS).getChanged()).isEqualTo(1);
    assertThat(t.channelAddress("n2")).contains(new HostPort("127.0.0.1", answering.getPort()));
  }

  @Test
  void closedTransport_failsNewCalls() throws Exception {
    answering = answeringServer(1);
    addresses.put("n2", new HostPort("127.0.0.1", answering.getPort()));
    GrpcPeerTransport t = transport(Duration.ofSeconds(2));
    t.close();

    assertThat(failure(t.pushDelta("n2", DeltaBatch.getDefaultInstance())).getDescription()).contains("closed");
  }
}
