package dev.tally.node.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;

/**
 * {@code tally_http_requests_total{route,method,status}} and {@code tally_http_request_duration_seconds}:
 * the route is a template ({@code /v1/counters/{key}}) or one of a few fixed names, never a raw
 * path, and unknown methods are {@code OTHER}, so label values stay bounded whatever clients send.
 * For a watch stream the duration is the time to its response headers, not its whole life.
 */
final class HttpMetrics {
  static final String UNMATCHED = "unmatched";
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private final MeterRegistry registry;

  HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void record(String route, String method, int status, long startNanos) {
    String m = METHODS.contains(method) ? method : "OTHER";
    String s = Integer.toString(status);
    Counter.builder("tally.http.requests").description("HTTP requests answered by the HTTP/JSON port")
        .tag("route", route).tag("method", m).tag("status", s).register(registry).increment();
    Timer.builder("tally.http.request.duration").description("Time from an HTTP request to its response headers")
        .tag("route", route).tag("method", m).register(registry).record(Duration.ofNanos(System.nanoTime() - startNanos));
  }
}
