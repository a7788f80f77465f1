package dev.tally.node.membership;

import java.util.Map;

/**
 * Where membership keeps every member it has ever seen (name -> dc), so that a restarted node knows
 * the size of its data center before anyone answers it. The node backs it with its data directory.
 */
public interface KnownMembers {

  /** Every member remembered so far, by name. */
  Map<String, String> load();

  /** Remembers (durably) that {@code name} is a member of {@code dc}; a later call replaces the dc. */
  void remember(String name, String dc);

  /** Remembers nothing: for a node whose data dir is not at hand (tests). */
  KnownMembers NONE = new KnownMembers() {
    @Override
    public Map<String, String> load() {
      return Map.of();
    }

    @Override
    public void remember(String name, String dc) {}
  };
}
