package dev.tally.node.peer;

import dev.tally.gossip.transport.PeerTransport;
import dev.tally.node.api.Limits;
import dev.tally.node.config.HostPort;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.PeerServiceGrpc;
import dev.tally.peer.v1.PeerServiceGrpc.PeerServiceStub;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import dev.tally.peer.v1.ReplicaClaimRequest;
import dev.tally.peer.v1.ReplicaClaimResponse;
import dev.tally.peer.v1.ResolveRequestRequest;
import dev.tally.peer.v1.ResolveRequestResponse;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link PeerTransport} over gRPC: one channel per peer, to the peer address its
 * membership announces (rebuilt when the address changes), every call with the {@code peer-timeout}
 * deadline, so no future stays pending. Channels use {@code directExecutor} (replies are handed
 * straight to the engine, which hops onto its own thread) and keepalive, so a dead connection is
 * noticed between calls too.
 *
 * <p>Threads: any thread may call; {@code channels} is a concurrent map and a channel is replaced
 * atomically. Futures complete on gRPC's event loop.
 */
public final class GrpcPeerTransport implements PeerTransport, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcPeerTransport.class);
  /** Keepalive pings on an idle connection; the peer server permits this rate. */
  public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(20);

  private final Function<String, Optional<HostPort>> addresses;
  private final Duration timeout;
  private final List<ClientInterceptor> interceptors;
  /** The TLS context of the channel to a peer, by name; null for plaintext. */
  private final Function<String, SslContext> tls;
  private final Map<String, PeerChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record PeerChannel(HostPort address, ManagedChannel channel, PeerServiceStub stub) {}

  /**
   * @param addresses the peer address of a member, by node name (from membership)
   * @param timeout the deadline of every call
   * @param interceptors applied to every call, the first one outermost (the cluster-id stamp, and a
   *     test's fault hook)
   */
  public GrpcPeerTransport(Function<String, Optional<HostPort>> addresses, Duration timeout,
      List<ClientInterceptor> interceptors) {
    this(addresses, timeout, interceptors, null);
  }

  /**
   * @param tls the TLS context of the channel to a peer, by peer name (mutual TLS that accepts only
   *     a certificate naming that peer), or null for plaintext channels
   */
  public GrpcPeerTransport(Function<String, Optional<HostPort>> addresses, Duration timeout,
      List<ClientInterceptor> interceptors, Function<String, SslContext> tls) {
    this.addresses = Objects.requireNonNull(addresses, "addresses");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.interceptors = List.copyOf(interceptors);
    this.tls = tls;
  }

  @Override
  public CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch) {
    return call(peer, (stub, out) -> stub.pushDelta(batch, out));
  }

  @Override
  public CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request) {
    return call(peer, (stub, out) -> stub.compareDigest(request, out));
  }

  @Override
  public CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request) {
    return call(peer, (stub, out) -> stub.syncBuckets(request, out));
  }

  @Override
  public CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request) {
    return call(peer, (stub, out) -> stub.readStates(request, out));
  }

  /** A starting node's claim to keep its replica id (see {@code dev.tally.gossip.identity}). */
  public CompletableFuture<ReplicaClaimResponse> claimReplica(String peer, ReplicaClaimRequest request) {
    return call(peer, (stub, out) -> stub.claimReplica(request, out));
  }

  /**
   * Asks a prior node about a retried request id; {@code timeout} replaces the peer-timeout
   * deadline (the retry waits at most that long).
   */
  public CompletableFuture<ResolveRequestResponse> resolveRequest(String peer, ResolveRequestRequest request,
      Duration timeout) {
    return call(peer, timeout, (stub, out) -> stub.resolveRequest(request, out));
  }

  /**
   * The peer came (back) to life: its channel retries connecting at once instead of waiting out a
   * reconnect backoff that grew while it was down.
   */
  public void peerAlive(String peer) {
    PeerChannel c = channels.get(peer);
    if (c != null) {
      c.channel().resetConnectBackoff();
    }
  }

  /** The address the channel to {@code peer} uses now, if one was built. */
  public Optional<HostPort> channelAddress(String peer) {
    PeerChannel c = channels.get(peer);
    return c == null ? Optional.empty() : Optional.of(c.address());
  }

  /** Closes every channel; calls still running fail. Idempotent. */
  @Override
  public void close() {
    closed = true;
    List<PeerChannel> all = new ArrayList<>(channels.values());
    channels.clear();
    for (PeerChannel c : all) {
      c.channel().shutdownNow();
    }
    for (PeerChannel c : all) {
      try {
        c.channel().awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private <T> CompletableFuture<T> call(String peer, BiConsumer<PeerServiceStub, StreamObserver<T>> invoke) {
    return call(peer, timeout, invoke);
  }

  private <T> CompletableFuture<T> call(String peer, Duration deadline,
      BiConsumer<PeerServiceStub, StreamObserver<T>> invoke) {
    CompletableFuture<T> result = new CompletableFuture<>();
    PeerChannel c;
    try {
      c = channelFor(peer);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    PeerServiceStub stub = c.stub().withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .withOption(PeerHeaders.TARGET_PEER, peer);
    try {
      invoke.accept(stub, new StreamObserver<>() {
        @Override
        public void onNext(T value) {
          result.complete(value);
        }

        @Override
        public void onError(Throwable t) {
          result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
          if (!result.isDone()) {
            result.completeExceptionally(Status.INTERNAL.withDescription("peer " + peer + " sent no reply")
                .asRuntimeException());
          }
        }
      });
    } catch (RuntimeException e) {
      // A channel shut down by close() or an address change refuses new calls.
      result.completeExceptionally(e);
    }
    return result;
  }

  private PeerChannel channelFor(String peer) {
    if (closed) {
      throw Status.UNAVAILABLE.withDescription("the peer transport is closed").asRuntimeException();
    }
    HostPort address = addresses.apply(peer).orElseThrow(() -> Status.UNAVAILABLE
        .withDescription("no peer address known for member '" + peer + "' yet").asRuntimeException());
    PeerChannel current = channels.get(peer);
    if (current != null && current.address().equals(address)) {
      return current;
    }
    PeerChannel[] replaced = new PeerChannel[1];
    PeerChannel next = channels.compute(peer, (name, existing) -> {
      if (existing != null && existing.address().equals(address)) {
        return existing;
      }
      replaced[0] = existing;
      return open(name, address);
    });
    if (replaced[0] != null) {
      log.info("peer {} moved from {} to {}; reconnecting", peer, replaced[0].address(), address);
      replaced[0].channel().shutdown();
    }
    if (closed) {
      // close() ran while this channel was being built and may have missed it.
      channels.remove(peer, next);
      next.channel().shutdownNow();
      throw Status.UNAVAILABLE.withDescription("the peer transport is closed").asRuntimeException();
    }
    return next;
  }

  private PeerChannel open(String peer, HostPort address) {
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(address.host(), address.port());
    if (tls == null) {
      builder.usePlaintext();
    } else {
      builder.sslContext(tls.apply(peer));
    }
    builder
        // Replies only complete a future; the engine moves to its own thread before doing anything.
        .directExecutor()
        .maxInboundMessageSize(Limits.MAX_INBOUND_MESSAGE_BYTES)
        .keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(Math.max(timeout.toMillis(), 1000), TimeUnit.MILLISECONDS);
    // intercept() runs the last one given first: reverse, so the first of ours is outermost.
    List<ClientInterceptor> reversed = new ArrayList<>(interceptors);
    Collections.reverse(reversed);
    builder.intercept(reversed);
    ManagedChannel channel = builder.build();
    return new PeerChannel(address, channel, PeerServiceGrpc.newStub(channel));
  }
}
