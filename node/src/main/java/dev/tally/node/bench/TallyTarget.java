package dev.tally.node.bench;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.config.HostPort;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives Tally nodes with raw async gRPC stubs in grpc-java's cheapest client setup, so the client
 * takes as little of the shared CPU as it can: {@code directExecutor} (responses are handled on
 * the channel's event loop, no thread hand-off), transparent retries off (the generator counts a
 * failure as a failure; retries would wrap every call in a buffering stream), netty's native epoll
 * transport when available, and one event-loop thread per connection (as the Redis target),
 * {@code connections} channels per endpoint. Every call carries a deadline, as real clients' do.
 */
final class TallyTarget implements LoadTarget {
  private final List<HostPort> endpoints;
  private final EventLoopGroup group;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final CounterServiceGrpc.CounterServiceStub[] stubs;
  private final Consistency consistency;
  private final boolean requestIds;
  private final List<String> priorNodes;
  private final Security security;
  private final String idPrefix;
  private final AtomicLong ids = new AtomicLong();
  private final long timeoutNanos;

  /**
   * @param connectionsPerEndpoint channels (HTTP/2 connections) to each endpoint
   * @param requestIds send a unique request_id with every write (off for a like-for-like Redis comparison)
   * @param priorNodes prior_nodes of every write (the failover path); empty for first attempts
   * @param security TLS context (empty: plaintext) and token interceptor (empty: no token)
   */
  TallyTarget(List<HostPort> endpoints, int connectionsPerEndpoint, Consistency consistency, boolean requestIds,
      List<String> priorNodes, long timeoutNanos, long seed, Security security) {
    this.priorNodes = List.copyOf(priorNodes);
    this.security = security;
    this.endpoints = List.copyOf(endpoints);
    this.consistency = consistency;
    this.requestIds = requestIds;
    this.idPrefix = "bench-" + Long.toHexString(seed) + "-" + Long.toHexString(System.nanoTime()) + "-";
    this.timeoutNanos = timeoutNanos;
    int total = endpoints.size() * connectionsPerEndpoint;
    boolean epoll = Epoll.isAvailable();
    this.group = epoll ? new EpollEventLoopGroup(total, new DefaultThreadFactory("bench-grpc", true))
        : new NioEventLoopGroup(total, new DefaultThreadFactory("bench-grpc", true));
    this.stubs = new CounterServiceGrpc.CounterServiceStub[total];
    // Channel i goes to endpoint i % endpoints, so consecutive lanes spread over the endpoints.
    for (int i = 0; i < total; i++) {
      HostPort hp = endpoints.get(i % endpoints.size());
      NettyChannelBuilder builder = NettyChannelBuilder.forAddress(hp.host(), hp.port());
      if (security.tls().isPresent()) {
        builder.sslContext(security.tls().get());
      } else {
        builder.usePlaintext();
      }
      security.token().ifPresent(builder::intercept);
      ManagedChannel channel = builder
          .directExecutor()
          .disableRetry()
          .eventLoopGroup(group)
          .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
          .maxInboundMessageSize(32 << 20)
          .build();
      channels.add(channel);
      stubs[i] = CounterServiceGrpc.newStub(channel);
    }
  }

  /** How the benchmark's channels are secured: both empty for plaintext without a token. */
  record Security(Optional<SslContext> tls, Optional<ClientInterceptor> token) {
    static final Security PLAINTEXT = new Security(Optional.empty(), Optional.empty());
  }

  @Override
  public String kind() {
    return "tally";
  }

  @Override
  public String describe() {
    return "tally " + endpoints.stream().map(HostPort::toString).reduce((a, b) -> a + "," + b).orElse("")
        + " (" + stubs.length + " gRPC connections, consistency " + consistencyLabel()
        + (security.tls().isPresent() ? ", TLS" : ", plaintext")
        + (requestIds ? ", request ids on" : ", request ids off")
        + (priorNodes.isEmpty() ? "" : ", prior nodes " + String.join(",", priorNodes)) + ")";
  }

  private String consistencyLabel() {
    return consistency == Consistency.CONSISTENCY_QUORUM ? "quorum" : "local";
  }

  private CounterServiceGrpc.CounterServiceStub stub(int lane) {
    return stubs[Math.floorMod(lane, stubs.length)].withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void get(int lane, String key, Completion done) {
    stub(lane).get(GetRequest.newBuilder().setKey(key).setConsistency(consistency).build(), new Reply<>(done));
  }

  @Override
  public void increment(int lane, String key, Completion done) {
    IncrementRequest.Builder req = IncrementRequest.newBuilder().setKey(key).setAmount(1).setConsistency(consistency);
    if (requestIds) {
      req.setRequestId(idPrefix + ids.incrementAndGet()).addAllPriorNodes(priorNodes);
    }
    stub(lane).increment(req.build(), new Reply<>(done));
  }

  @Override
  public void incrementMany(int lane, String[] keys, Completion done) {
    IncrementManyRequest.Builder req = IncrementManyRequest.newBuilder().setConsistency(consistency);
    for (String key : keys) {
      req.addItems(IncrementManyRequest.Item.newBuilder().setKey(key).setAmount(1));
    }
    if (requestIds) {
      req.setRequestId(idPrefix + ids.incrementAndGet()).addAllPriorNodes(priorNodes);
    }
    stub(lane).incrementMany(req.build(), new Reply<>(done));
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** Adapts a unary response to a {@link Completion}: the status code's name on failure. */
  private static final class Reply<T> implements StreamObserver<T> {
    private final Completion done;

    Reply(Completion done) {
      this.done = done;
    }

    @Override
    public void onNext(T value) {
      // the value itself is not needed: the call succeeded when it completes
    }

    @Override
    public void onError(Throwable t) {
      done.done(Status.fromThrowable(t).getCode().name());
    }

    @Override
    public void onCompleted() {
      done.done(null);
    }
  }
}
