package dev.tally.node.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Set;

/**
 * The {@code http-cors-origins} policy: none (no CORS headers at all), a list of origins, or
 * {@code *}. Allowed origins get their own origin echoed back (with {@code Vary: Origin}), the
 * headers fetch and EventSource need exposed, and a preflight answer. Credentials (cookies) are
 * never allowed: the API authenticates with bearer tokens, which a page sends explicitly.
 */
final class Cors {
  static final String ALLOWED_METHODS = "GET, POST, OPTIONS";
  static final String ALLOWED_HEADERS = "authorization, content-type, last-event-id";
  static final String EXPOSED_HEADERS = "tally-node, content-type";
  private final boolean any;
  private final Set<String> origins;

  Cors(List<String> configured) {
    this.any = configured.contains("*");
    this.origins = Set.copyOf(configured);
  }

  boolean enabled() {
    return any || !origins.isEmpty();
  }

  boolean allows(String origin) {
    return origin != null && (any || origins.contains(origin));
  }

  /** Adds the response headers for an allowed cross-origin request; nothing for others. */
  void decorate(String origin, HttpHeaders headers) {
    if (!allows(origin)) {
      return;
    }
    headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, any ? "*" : origin);
    if (!any) {
      headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
    }
    headers.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED_HEADERS);
  }

  /** The headers of a preflight answer for an allowed origin. */
  void preflight(String origin, HttpHeaders headers) {
    decorate(origin, headers);
    headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS);
    headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS);
    headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
  }
}
