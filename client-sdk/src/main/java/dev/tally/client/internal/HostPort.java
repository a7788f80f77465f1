package dev.tally.client.internal;

import java.util.Objects;

/**
 * One {@code host:port}. Internal: not part of the SDK's API.
 *
 * @param host a name, an IPv4 literal or an IPv6 literal (without brackets)
 * @param port 1..65535
 */
public record HostPort(String host, int port) {

  /** Checks both parts. */
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535, got " + port);
    }
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException quoting the text and the expected form
   */
  public static HostPort parse(String text) {
    Objects.requireNonNull(text, "endpoint");
    String t = text.trim();
    String host;
    String port;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
        throw bad(text);
      }
      host = t.substring(1, close);
      port = t.substring(close + 2);
    } else {
      int colon = t.lastIndexOf(':');
      if (colon < 0) {
        throw bad(text);
      }
      host = t.substring(0, colon);
      port = t.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "endpoint \"" + text + "\" must be host:port; write an IPv6 address as [addr]:port");
      }
    }
    if (host.isEmpty() || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
      throw bad(text);
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(
          "endpoint \"" + text + "\" has port " + p + "; ports are 1..65535");
    }
    return new HostPort(host, p);
  }

  private static IllegalArgumentException bad(String text) {
    return new IllegalArgumentException(
        "endpoint \"" + text + "\" must be host:port (IPv6 as [addr]:port)");
  }

  /** {@code host:port}, with brackets around an IPv6 literal. */
  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
