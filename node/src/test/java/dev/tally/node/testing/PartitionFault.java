package dev.tally.node.testing;

import dev.tally.node.peer.PeerHeaders;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The test fault hook on the peer transport: links between named nodes are cut in both directions
 * and healed again. Each node gets {@link #interceptorFor} its own name (through
 * {@code TallyNode.Options.withPeerInterceptor}); a call over a cut link fails at once with
 * UNAVAILABLE, as a refused connection would. Membership is not affected: the nodes still see each
 * other alive, which is the case a transport partition must handle. A {@link #blackhole}d link
 * instead swallows requests: calls reach the peer's port but are never answered, until their
 * deadline passes (a hung peer).
 */
public final class PartitionFault {
  private final Set<String> cut = ConcurrentHashMap.newKeySet();
  private final Set<String> blackholed = ConcurrentHashMap.newKeySet();

  /** The interceptor for node {@code self}'s outbound peer calls. */
  public ClientInterceptor interceptorFor(String self) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String target = options.getOption(PeerHeaders.TARGET_PEER);
        if (target != null && isCut(self, target)) {
          return new RefusedCall<>(self, target);
        }
        if (target != null && blackholed.contains(link(self, target))) {
          // The request never leaves: the peer waits for it, the caller for the deadline.
          return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void sendMessage(Q message) {}

            @Override
            public void halfClose() {}
          };
        }
        return next.newCall(method, options);
      }
    };
  }

  /** Cuts every link between a node of {@code a} and a node of {@code b}. */
  public void cut(Collection<String> a, Collection<String> b) {
    for (String x : a) {
      for (String y : b) {
        cut.add(link(x, y));
      }
    }
  }

  /** Calls between a node of {@code a} and a node of {@code b} go unanswered until their deadline. */
  public void blackhole(Collection<String> a, Collection<String> b) {
    for (String x : a) {
      for (String y : b) {
        blackholed.add(link(x, y));
      }
    }
  }

  /** Cuts {@code node} off from every other node in {@code all}. */
  public void isolate(String node, Collection<String> all) {
    cut(Set.of(node), all.stream().filter(n -> !n.equals(node)).toList());
  }

  public void heal() {
    cut.clear();
    blackholed.clear();
  }

  public boolean isCut(String a, String b) {
    return cut.contains(link(a, b));
  }

  private static String link(String a, String b) {
    return a.compareTo(b) < 0 ? a + "|" + b : b + "|" + a;
  }

  private static final class RefusedCall<Q, R> extends ClientCall<Q, R> {
    private final String from;
    private final String to;

    RefusedCall(String from, String to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      listener.onClose(Status.UNAVAILABLE.withDescription("link " + from + " -> " + to + " is cut by the test"),
          new Metadata());
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public void halfClose() {}

    @Override
    public void sendMessage(Q message) {}
  }
}
