package dev.tally.gossip.topology;

import dev.tally.gossip.membership.Member;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Who gets which changes. Pure functions of a {@link ClusterView}.
 *
 * <ul>
 *   <li>A local change goes to every peer of this node's DC and to {@code remoteDcFanout} nodes of
 *       each remote DC, so inter-DC traffic grows with the number of DCs, not with DC size squared.
 *   <li>The remote nodes are chosen by rendezvous (highest random weight) hashing on (self, peer):
 *       each sender picks its own stable set, so the relaying load spreads over a remote DC, and a
 *       membership change moves only the choices that involved the changed node. Live nodes come
 *       first; dead ones fill the set only when too few are alive, so changes keep being buffered
 *       (and repaired later) while a whole DC is unreachable.
 *   <li>A state received from a node of another DC that changed this node is relayed to this
 *       node's DC peers (the sender is in another DC, so never among them). States from this
 *       node's own DC are not forwarded: their sender already sent them to every DC peer. Only
 *       states that changed the receiver are ever forwarded, so nothing loops.
 * </ul>
 */
public final class Topology {
  private Topology() {}

  /** Peers that receive this node's local changes, in a stable order: own DC first, then each remote DC. */
  public static List<String> localChangeTargets(ClusterView view, int remoteDcFanout) {
    List<String> out = new ArrayList<>();
    for (Member m : view.dcPeers()) {
      out.add(m.name());
    }
    for (Map.Entry<String, List<Member>> dc : view.remoteDcs().entrySet()) {
      for (Member m : pickRemote(view.selfName(), dc.getValue(), remoteDcFanout)) {
        out.add(m.name());
      }
    }
    return out;
  }

  /**
   * Peers that receive a change this node merged from {@code senderDc}: this node's DC peers when the
   * sender is in another DC, nobody otherwise.
   */
  public static List<String> relayTargets(ClusterView view, String senderDc) {
    if (senderDc.equals(view.selfDc())) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Member m : view.dcPeers()) {
      out.add(m.name());
    }
    return out;
  }

  /**
   * The {@code fanout} members of one remote DC that {@code self} sends to: the live ones with the
   * highest rendezvous score, then (only if fewer than {@code fanout} are alive) the highest-scoring
   * others.
   */
  public static List<Member> pickRemote(String self, List<Member> dcMembers, int fanout) {
    List<Member> sorted = new ArrayList<>(dcMembers);
    sorted.sort(Comparator.comparing((Member m) -> !m.alive())
        .thenComparing(m -> rendezvousScore(self, m.name()), Comparator.reverseOrder())
        .thenComparing(Member::name));
    return sorted.subList(0, Math.min(fanout, sorted.size()));
  }

  /** The weight of {@code peer} as seen from {@code self}; deterministic on every JVM. */
  public static long rendezvousScore(String self, String peer) {
    long a = hash(self);
    long b = hash(peer);
    return mix(a * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(b, 31) ^ 0xD6E8FEB86659FD93L);
  }

  private static long hash(String s) {
    long h = 0xCBF29CE484222325L;
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (x & 0xFF)) * 0x100000001B3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
