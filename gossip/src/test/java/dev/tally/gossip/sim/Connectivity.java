package dev.tally.gossip.sim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Which directed links carry messages (and heartbeats) right now. */
final class Connectivity {
  static final Connectivity FULL = new Connectivity("fully connected", Set.of());

  private final String description;
  private final Set<String> blocked;

  private Connectivity(String description, Set<String> blocked) {
    this.description = description;
    this.blocked = blocked;
  }

  boolean allows(String from, String to) {
    return blocked.isEmpty() || !blocked.contains(from + "->" + to);
  }

  String description() {
    return description;
  }

  /** Nodes talk only inside their own group, both directions. */
  static Connectivity groups(String kind, List<? extends Collection<String>> groups) {
    Set<String> blocked = new HashSet<>();
    for (int i = 0; i < groups.size(); i++) {
      for (int j = 0; j < groups.size(); j++) {
        if (i != j) {
          for (String a : groups.get(i)) {
            for (String b : groups.get(j)) {
              blocked.add(a + "->" + b);
            }
          }
        }
      }
    }
    return new Connectivity(kind + " " + groups, blocked);
  }

  /** Two sides that cannot talk, and one bridge node that talks to both. */
  static Connectivity bridge(Collection<String> left, Collection<String> right, String bridge) {
    Set<String> blocked = new HashSet<>();
    for (String a : left) {
      for (String b : right) {
        blocked.add(a + "->" + b);
        blocked.add(b + "->" + a);
      }
    }
    return new Connectivity("bridge " + left + " <" + bridge + "> " + right, blocked);
  }

  /** Messages from {@code from} to each of {@code to} are lost; the other direction works. */
  static Connectivity oneWay(String from, Collection<String> to) {
    Set<String> blocked = new HashSet<>();
    List<String> names = new ArrayList<>(to);
    for (String b : names) {
      blocked.add(from + "->" + b);
    }
    return new Connectivity("asymmetric " + from + " -/-> " + names, blocked);
  }
}
