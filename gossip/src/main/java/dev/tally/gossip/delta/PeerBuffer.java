package dev.tally.gossip.delta;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one peer has not yet acknowledged: the keys changed since they were last shipped to it
 * (keys, not states: the latest absolute state is read when a push is built), the keys of the one
 * push in flight, and whether the peer fell so far behind that its keys were dropped and only
 * anti-entropy can bring it level ("needs repair").
 *
 * <p>Each key remembers when it first changed without reaching the peer, so the replication lag
 * (age of the oldest change the peer has not acknowledged) is exact. Pending keys are kept oldest
 * first.
 *
 * <p>Concurrency: not thread-safe. The replica thread owns it.
 */
public final class PeerBuffer {
  /** "No time": the value of {@link #oldestUnackedNanos} when the peer has everything. */
  public static final long NONE = Long.MAX_VALUE;

  private final String peer;
  private LinkedHashMap<String, Long> pending = new LinkedHashMap<>();
  private LinkedHashMap<String, Long> inFlight;
  private long inFlightOldest = NONE;
  private boolean needsRepair;
  private long repairSinceNanos = NONE;
  private long dropEpoch;
  private long lastAckMillis;

  public PeerBuffer(String peer) {
    this.peer = peer;
  }

  public String peer() {
    return peer;
  }

  /**
   * Notes that {@code key} changed at {@code nowNanos}. When the pending keys then exceed
   * {@code maxPending}, all of them are dropped and the peer is marked as needing repair.
   *
   * @return how many keys were dropped (0 normally)
   */
  public int add(String key, long nowNanos, int maxPending) {
    pending.putIfAbsent(key, nowNanos);
    return pending.size() > maxPending ? dropPending() : 0;
  }

  /** Adds keys with their first-change times (from another buffer), keeping the oldest time of each. */
  public int absorb(Map<String, Long> keys, int maxPending) {
    if (keys.isEmpty()) {
      return 0;
    }
    Map<String, Long> all = new LinkedHashMap<>(pending);
    keys.forEach((k, t) -> all.merge(k, t, Math::min));
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(all.entrySet());
    sorted.sort(Map.Entry.comparingByValue());
    LinkedHashMap<String, Long> next = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : sorted) {
      next.put(e.getKey(), e.getValue());
    }
    pending = next;
    return pending.size() > maxPending ? dropPending() : 0;
  }

  /** True while a push to this peer awaits its reply: at most one is in flight per peer. */
  public boolean inFlight() {
    return inFlight != null;
  }

  public int pendingCount() {
    return pending.size();
  }

  public int inFlightCount() {
    return inFlight == null ? 0 : inFlight.size();
  }

  /**
   * Moves the oldest {@code max} pending keys into flight and returns them.
   *
   * @throws IllegalStateException if a push is already in flight
   */
  public List<String> takeForPush(int max) {
    if (inFlight != null) {
      throw new IllegalStateException("a push to " + peer + " is already in flight");
    }
    LinkedHashMap<String, Long> taken = new LinkedHashMap<>();
    var it = pending.entrySet().iterator();
    while (it.hasNext() && taken.size() < max) {
      Map.Entry<String, Long> e = it.next();
      taken.put(e.getKey(), e.getValue());
      it.remove();
    }
    inFlight = taken;
    inFlightOldest = taken.isEmpty() ? NONE : taken.values().iterator().next();
    return new ArrayList<>(taken.keySet());
  }

  /**
   * Monotonic nanos at which each key of the push in flight first changed without reaching the
   * peer, in push order; empty when nothing is in flight. Read it before {@link #acked}.
   */
  public long[] inFlightSinceNanos() {
    if (inFlight == null) {
      return new long[0];
    }
    long[] out = new long[inFlight.size()];
    int i = 0;
    for (long t : inFlight.values()) {
      out[i++] = t;
    }
    return out;
  }

  /** The push in flight was acknowledged: the peer holds those keys' states as they were sent. */
  public void acked(long nowMillis) {
    inFlight = null;
    inFlightOldest = NONE;
    lastAckMillis = nowMillis;
  }

  /**
   * The push in flight failed or timed out: its keys go back to the front of the pending keys with
   * their original times.
   *
   * @return how many keys were dropped because the peer is now too far behind (0 normally)
   */
  public int failed(int maxPending) {
    if (inFlight == null) {
      return 0;
    }
    LinkedHashMap<String, Long> next = inFlight;
    inFlight = null;
    inFlightOldest = NONE;
    pending.forEach((k, t) -> next.merge(k, t, Math::min));
    pending = next;
    return pending.size() > maxPending ? dropPending() : 0;
  }

  /** Removes and returns the pending keys (oldest first), e.g. when the peer stops being a target. */
  public Map<String, Long> drainPending() {
    Map<String, Long> out = pending;
    pending = new LinkedHashMap<>();
    return out;
  }

  /** True when keys were dropped and anti-entropy has not yet completed with the peer since. */
  public boolean needsRepair() {
    return needsRepair;
  }

  /** Counts drops; anti-entropy passes the value it saw when it started to {@link #repaired}. */
  public long dropEpoch() {
    return dropEpoch;
  }

  /**
   * An anti-entropy exchange that started at drop epoch {@code epochAtStart} completed: if nothing
   * was dropped since it started, the peer holds everything the dropped keys stood for.
   */
  public void repaired(long epochAtStart) {
    if (needsRepair && dropEpoch == epochAtStart) {
      needsRepair = false;
      repairSinceNanos = NONE;
    }
  }

  /** Monotonic time of the oldest change the peer has not acknowledged, {@link #NONE} when none. */
  public long oldestUnackedNanos() {
    long oldest = Math.min(inFlightOldest, repairSinceNanos);
    if (!pending.isEmpty()) {
      oldest = Math.min(oldest, pending.values().iterator().next());
    }
    return oldest;
  }

  /** Wall-clock millis of the latest acknowledged push, 0 when none yet. */
  public long lastAckMillis() {
    return lastAckMillis;
  }

  /** Pending keys, oldest first (a copy, for tests and diagnostics). */
  public List<String> pendingKeys() {
    return Collections.unmodifiableList(new ArrayList<>(pending.keySet()));
  }

  private int dropPending() {
    int dropped = pending.size();
    long oldest = pending.values().iterator().next();
    repairSinceNanos = Math.min(repairSinceNanos, oldest);
    needsRepair = true;
    dropEpoch++;
    pending = new LinkedHashMap<>();
    return dropped;
  }
}
