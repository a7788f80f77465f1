package dev.tally.client;

import java.util.Locale;
import java.util.Objects;

/**
 * How many replicas a call involves. Every call takes the client's default (set with {@link
 * TallyClientBuilder#consistency}, {@link #LOCAL} unless changed) or the one in its {@link
 * RequestOptions}.
 */
public enum Consistency {
  /**
   * Reads answer from the contacted node's own state (fast; may lag behind writes made on other
   * nodes). Writes are acknowledged once durable on the contacted node.
   */
  LOCAL,
  /**
   * Reads merge the states of a majority of the data center's replicas. Writes are acknowledged
   * once a majority of the data center holds them durably. Quorum writes followed by quorum reads
   * give read-your-writes inside a data center.
   */
  QUORUM;

  /**
   * Parses a consistency name, ignoring case ({@code "local"}, {@code "QUORUM"}), as a command
   * line would accept it.
   *
   * @throws IllegalArgumentException naming the accepted values when {@code text} is neither
   */
  public static Consistency parse(String text) {
    Objects.requireNonNull(text, "text");
    String upper = text.trim().toUpperCase(Locale.ROOT);
    for (Consistency c : values()) {
      if (c.name().equals(upper)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "consistency must be one of LOCAL, QUORUM (any case), got \"" + text + "\"");
  }
}
