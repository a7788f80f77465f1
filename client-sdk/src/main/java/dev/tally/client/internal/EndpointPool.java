package dev.tally.client.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's endpoints, one channel each, and the choice of endpoint for each attempt: round
 * robin over the endpoints that are not cooling down after a failure; when all are, the one whose
 * cool-down ends first (so a call still gets an attempt, and a failing endpoint is retried later).
 *
 * <p>Concurrency: any thread may pick or mark. The endpoint list is an immutable snapshot replaced
 * whole by {@link #resolve} (DNS targets, on the DNS thread) under {@code this}; readers take the
 * volatile snapshot without locking. Channels of endpoints that disappear are shut down gracefully,
 * outside the lock.
 */
final class EndpointPool {

  private static final Logger log = LoggerFactory.getLogger(EndpointPool.class);

  private final Target target;
  private final ChannelFactory channels;
  private final LongSupplier ticker;
  private final long coolDownNanos;
  private final AtomicInteger cursor = new AtomicInteger();
  private volatile List<Endpoint> endpoints = List.of();
  private boolean shutdown; // guarded by this

  EndpointPool(Target target, ChannelFactory channels, LongSupplier ticker, long coolDownNanos) {
    this.target = target;
    this.channels = channels;
    this.ticker = ticker;
    this.coolDownNanos = coolDownNanos;
    if (target.dnsName() == null) {
      List<Endpoint> list = new ArrayList<>();
      for (HostPort hp : target.endpoints()) {
        list.add(new Endpoint(hp, channels.create(hp, null)));
      }
      endpoints = List.copyOf(list);
    }
  }

  /** Whether the endpoints come from DNS (and need {@link #resolve}). */
  boolean isDns() {
    return target.dnsName() != null;
  }

  Target target() {
    return target;
  }

  List<Endpoint> snapshot() {
    return endpoints;
  }

  /**
   * An endpoint for the next attempt, preferring one other than {@code avoid} (the endpoint of the
   * previous failed attempt); null when there is no endpoint at all.
   */
  Endpoint pick(Endpoint avoid) {
    List<Endpoint> list = endpoints;
    int n = list.size();
    if (n == 0) {
      return null;
    }
    long now = ticker.getAsLong();
    int start = Math.floorMod(cursor.getAndIncrement(), n);
    Endpoint avoidedButHealthy = null;
    for (int i = 0; i < n; i++) {
      Endpoint e = list.get((start + i) % n);
      if (e.isCoolingDown(now)) {
        continue;
      }
      if (e == avoid) {
        avoidedButHealthy = e;
        continue;
      }
      e.prepareForAttempt();
      return e;
    }
    Endpoint chosen = avoidedButHealthy;
    if (chosen == null) {
      // Every endpoint is cooling down: try the one whose cool-down ends first rather than fail
      // without trying; prefer not to repeat the endpoint that just failed.
      for (Endpoint e : list) {
        if (e == avoid && n > 1) {
          continue;
        }
        if (chosen == null || e.coolDownUntilNanos() - chosen.coolDownUntilNanos() < 0) {
          chosen = e;
        }
      }
    }
    chosen.prepareForAttempt();
    return chosen;
  }

  /** The pool's clock now (the ticker of cool-downs). */
  long now() {
    return ticker.getAsLong();
  }

  /**
   * The endpoint whose node called itself {@code nodeName} in its {@code tally-node} header, other
   * than {@code not}; null when no endpoint is known by that name.
   */
  Endpoint endpointNamed(String nodeName, Endpoint not) {
    for (Endpoint e : endpoints) {
      if (e != not && nodeName.equals(e.nodeName())) {
        return e;
      }
    }
    return null;
  }

  void markFailed(Endpoint e) {
    e.markFailed(ticker.getAsLong(), coolDownNanos);
  }

  void markHealthy(Endpoint e) {
    e.markHealthy();
  }

  /**
   * Resolves the DNS name and replaces the endpoint list: endpoints still resolved keep their
   * channel and health, new addresses get a channel, vanished ones are shut down gracefully (calls
   * on them finish). Blocking (DNS): call it on the DNS thread. A failed lookup keeps the current
   * list.
   */
  void resolve() {
    HostPort name = target.dnsName();
    if (name == null) {
      return;
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(name.host());
    } catch (UnknownHostException e) {
      log.warn("Could not resolve {}; keeping {} known endpoint(s): {}", target, endpoints.size(), e.toString());
      return;
    }
    List<Endpoint> removed = new ArrayList<>();
    synchronized (this) {
      if (shutdown) {
        return;
      }
      Map<HostPort, Endpoint> current = new HashMap<>();
      for (Endpoint e : endpoints) {
        current.put(e.address(), e);
      }
      List<Endpoint> next = new ArrayList<>();
      String authority = name.toString();
      for (InetAddress address : addresses) {
        HostPort hp = new HostPort(address.getHostAddress(), name.port());
        Endpoint e = current.remove(hp);
        if (e == null) {
          if (next.stream().anyMatch(x -> x.address().equals(hp))) {
            continue;
          }
          e = new Endpoint(hp, channels.create(hp, authority));
        }
        next.add(e);
      }
      removed.addAll(current.values());
      endpoints = List.copyOf(next);
    }
    for (Endpoint e : removed) {
      e.channel().shutdown();
    }
  }

  /**
   * Shuts every channel down: running calls may finish within {@code graceNanos}, then the rest
   * are cancelled.
   */
  void shutdown(long graceNanos) {
    List<Endpoint> list;
    synchronized (this) {
      shutdown = true;
      list = endpoints;
    }
    for (Endpoint e : list) {
      e.channel().shutdown();
    }
    long deadline = System.nanoTime() + graceNanos;
    for (Endpoint e : list) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !e.channel().awaitTermination(left, TimeUnit.NANOSECONDS)) {
          e.channel().shutdownNow();
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        e.channel().shutdownNow();
      }
    }
  }
}
