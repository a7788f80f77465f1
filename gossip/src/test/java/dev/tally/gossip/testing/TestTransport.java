package dev.tally.gossip.testing;

import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.transport.PeerTransport;
import dev.tally.peer.v1.BucketSyncRequest;
import dev.tally.peer.v1.BucketSyncResponse;
import dev.tally.peer.v1.DeltaAck;
import dev.tally.peer.v1.DeltaBatch;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.ReadStatesRequest;
import dev.tally.peer.v1.ReadStatesResponse;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * One node's outbound calls in a {@link TestCluster}: delivered to the target replica after a
 * small virtual delay, with a deadline, and recorded. A link can be cut both ways (calls time out)
 * or made to fail fast. Like gRPC with the node's settings, a request or reply larger than
 * {@link #MAX_MESSAGE_BYTES} fails the call (RESOURCE_EXHAUSTED) instead of being delivered.
 */
public final class TestTransport implements PeerTransport {
  /** The node's inbound message limit (node Limits.MAX_INBOUND_MESSAGE_BYTES). */
  public static final int MAX_MESSAGE_BYTES = 16 << 20;

  /**
   * How a link behaves: UP delivers; BLACKHOLE loses everything (calls fail at their deadline);
   * REFUSE fails calls fast; HANG never answers at all, breaking the transport's deadline promise.
   */
  public enum Link { UP, BLACKHOLE, REFUSE, HANG }

  /** One outbound call: method, target, request message, states in the request and in the reply. */
  public static final class Call {
    public final String method;
    public final String peer;
    public final Object request;
    public final int requestStates;
    public int responseStates;
    public boolean answered;
    public Object response;

    Call(String method, String peer, Object request, int requestStates) {
      this.method = method;
      this.peer = peer;
      this.request = request;
      this.requestStates = requestStates;
    }
  }

  private final VirtualTime time;
  private final String self;
  private final Map<String, Replica> peers;
  private final Map<String, Link> links = new HashMap<>();
  private final long delayNanos;
  private final long deadlineNanos;
  private final List<Call> calls = new ArrayList<>();

  TestTransport(VirtualTime time, String self, Map<String, Replica> peers, Duration delay, Duration deadline) {
    this.time = time;
    this.self = self;
    this.peers = peers;
    this.delayNanos = delay.toNanos();
    this.deadlineNanos = deadline.toNanos();
  }

  public void link(String peer, Link link) {
    links.put(peer, link);
  }

  public List<Call> calls() {
    return calls;
  }

  public List<Call> calls(String method) {
    return calls.stream().filter(c -> c.method.equals(method)).toList();
  }

  /** States carried by every call of {@code method} so far, both directions. */
  public int statesShipped(String method) {
    return calls(method).stream().mapToInt(c -> c.requestStates + c.responseStates).sum();
  }

  public void clearCalls() {
    calls.clear();
  }

  @Override
  public CompletableFuture<DeltaAck> pushDelta(String peer, DeltaBatch batch) {
    return call("PushDelta", peer, batch, batch.getStatesCount(), Replica::onPushDelta, r -> 0);
  }

  @Override
  public CompletableFuture<DigestResponse> compareDigest(String peer, DigestRequest request) {
    return call("CompareDigest", peer, request, 0, Replica::onCompareDigest, r -> 0);
  }

  @Override
  public CompletableFuture<BucketSyncResponse> syncBuckets(String peer, BucketSyncRequest request) {
    return call("SyncBuckets", peer, request, request.getStatesCount(), Replica::onSyncBuckets,
        BucketSyncResponse::getStatesCount);
  }

  @Override
  public CompletableFuture<ReadStatesResponse> readStates(String peer, ReadStatesRequest request) {
    return call("ReadStates", peer, request, 0, Replica::onReadStates, ReadStatesResponse::getStatesCount);
  }

  private static IllegalStateException tooLarge(String method, String what, int bytes) {
    return new IllegalStateException("RESOURCE_EXHAUSTED: " + method + " " + what + " of " + bytes
        + " bytes is larger than the inbound message limit of " + MAX_MESSAGE_BYTES + " bytes");
  }

  private <Q, R> CompletableFuture<R> call(String method, String peer, Q request, int requestStates,
      BiFunction<Replica, Q, CompletableFuture<R>> handler, java.util.function.ToIntFunction<R> responseStates) {
    Call call = new Call(method, peer, request, requestStates);
    calls.add(call);
    CompletableFuture<R> result = new CompletableFuture<>();
    if (links.get(peer) == Link.HANG) {
      return result;
    }
    time.enqueue(self, deadlineNanos, () ->
        result.completeExceptionally(new TimeoutException(method + " to " + peer + " passed its deadline")));
    Link link = links.getOrDefault(peer, Link.UP);
    Replica target = peers.get(peer);
    int requestBytes = ((com.google.protobuf.MessageLite) request).getSerializedSize();
    if (requestBytes > MAX_MESSAGE_BYTES) {
      time.enqueue(self, delayNanos, () -> result.completeExceptionally(tooLarge(method, "request", requestBytes)));
      return result;
    }
    if (link == Link.REFUSE || target == null) {
      time.enqueue(self, delayNanos, () -> result.completeExceptionally(new ConnectException(peer + " refused")));
      return result;
    }
    if (link == Link.BLACKHOLE) {
      return result;
    }
    time.enqueue(null, delayNanos, () -> handler.apply(target, request).whenComplete((response, error) -> {
      if (response != null) {
        call.responseStates = responseStates.applyAsInt(response);
        call.answered = true;
        call.response = response;
      }
      if (links.getOrDefault(peer, Link.UP) != Link.UP) {
        return;
      }
      int responseBytes = response == null ? 0 : ((com.google.protobuf.MessageLite) response).getSerializedSize();
      time.enqueue(self, delayNanos, () -> {
        if (error != null) {
          result.completeExceptionally(error);
        } else if (responseBytes > MAX_MESSAGE_BYTES) {
          result.completeExceptionally(tooLarge(method, "reply", responseBytes));
        } else {
          result.complete(response);
        }
      });
    }));
    return result;
  }
}
