package dev.tally.client.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Where a client connects: a fixed list of endpoints, or one DNS name whose addresses are the
 * endpoints (resolved at start and refreshed periodically). Internal: not part of the SDK's API.
 *
 * @param endpoints the fixed endpoints; empty for a DNS target
 * @param dnsName the name and port to resolve; null for a fixed list
 */
public record Target(List<HostPort> endpoints, HostPort dnsName) {

  private static final String DNS_PREFIX = "dns:///";

  /** Copies the list and checks that exactly one form is given. */
  public Target {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty() == (dnsName == null)) {
      throw new IllegalArgumentException("a target is either endpoints or one dns name");
    }
  }

  /**
   * Parses {@code host:port[,host:port...]} or {@code dns:///name:port}.
   *
   * @throws IllegalArgumentException quoting the offending part
   */
  public static Target parse(String text) {
    Objects.requireNonNull(text, "target");
    String t = text.trim();
    if (t.startsWith("dns:")) {
      if (!t.startsWith(DNS_PREFIX)) {
        throw new IllegalArgumentException(
            "target \"" + text + "\" must be dns:///name:port (a DNS authority is not supported)");
      }
      return new Target(List.of(), HostPort.parse(t.substring(DNS_PREFIX.length())));
    }
    if (t.isEmpty()) {
      throw new IllegalArgumentException("target must not be empty: give host:port[,host:port...] or dns:///name:port");
    }
    List<String> parts = new ArrayList<>();
    for (String part : t.split(",", -1)) {
      parts.add(part.trim());
    }
    return ofEndpoints(parts);
  }

  /**
   * A fixed list of {@code host:port} endpoints.
   *
   * @throws IllegalArgumentException when the list is empty, an entry does not parse, or an entry
   *     is listed twice
   */
  public static Target ofEndpoints(List<String> texts) {
    Objects.requireNonNull(texts, "endpoints");
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("endpoints must not be empty");
    }
    Set<HostPort> seen = new LinkedHashSet<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("endpoint " + (i + 1) + " of " + texts.size() + " is empty");
      }
      HostPort hp = HostPort.parse(text);
      if (!seen.add(hp)) {
        throw new IllegalArgumentException("endpoint " + hp + " is listed twice");
      }
    }
    return new Target(new ArrayList<>(seen), null);
  }

  @Override
  public String toString() {
    if (dnsName != null) {
      return DNS_PREFIX + dnsName;
    }
    StringBuilder sb = new StringBuilder();
    for (HostPort hp : endpoints) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(hp);
    }
    return sb.toString();
  }
}
