package dev.tally.node.auth;

import java.util.Locale;
import java.util.Optional;

/**
 * What a token may do on the client port. Roles do not imply each other: a token that reads and
 * writes lists both, and {@code admin} alone cannot read counters.
 */
public enum Role {
  /** Get, GetMany, Watch. */
  READ,
  /** Increment, Decrement, IncrementMany. */
  WRITE,
  /** ClusterStatus, Export (which lists every counter's value), reflection and any other operator RPC; also /metrics with {@code metrics-auth: token}. */
  ADMIN;

  /** The spelling in the token file and on the command line: {@code read}, {@code write}, {@code admin}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role spelled {@code text} (any case), if there is one. */
  public static Optional<Role> parse(String text) {
    for (Role r : values()) {
      if (r.configName().equalsIgnoreCase(text == null ? "" : text.strip())) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
