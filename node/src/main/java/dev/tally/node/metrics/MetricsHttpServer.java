package dev.tally.node.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node's HTTP endpoint for operators: {@code GET /metrics} (Prometheus text format) and
 * {@code GET /health} (200 {@code SERVING}, or 503 {@code NOT_SERVING: } and why, for load
 * balancers that do not speak gRPC health). Served by the JDK's HTTP server on one daemon thread, off the gRPC event
 * loops and the replica thread.
 *
 * <p>It binds {@code metrics-host} (127.0.0.1 unless set: metrics name keys' sizes, members and
 * principals, so they are not for everyone who reaches the node). With {@code metrics-auth: token}
 * {@code /metrics} needs {@code Authorization: Bearer <token>} of a token with the admin role
 * (401 without a valid one, 403 without the role); {@code /health} stays open for probes.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Who may read /metrics: the HTTP status for a request's Authorization header (null when absent). */
  @FunctionalInterface
  public interface Access {
    /** Everyone. */
    Access OPEN = authorization -> 200;

    /** 200 to serve, 401 for a missing or invalid credential, 403 for a valid one without the right. */
    int status(String authorization);
  }

  public static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry,
      Supplier<Optional<String>> notServing) throws IOException {
    return start(host, port, registry, notServing, Access.OPEN);
  }

  /**
   * @param port 0 picks a free port
   * @param access who may read /metrics (/health is open to all)
   * @param notServing why the node is not serving now, empty while it is
   * @throws IOException if the address cannot be bound
   */
  public static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry,
      Supplier<Optional<String>> notServing, Access access)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
          respond(exchange, 405, "text/plain; charset=utf-8", "use GET\n");
        } else if (path.equals("/metrics")) {
          int allowed = access.status(exchange.getRequestHeaders().getFirst("Authorization"));
          if (allowed == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"tally\"");
            respond(exchange, 401, "text/plain; charset=utf-8",
                "401 unauthorized: /metrics needs 'Authorization: Bearer <token>' with a token of the admin role\n");
            return;
          }
          if (allowed != 200) {
            respond(exchange, 403, "text/plain; charset=utf-8", "403 forbidden: /metrics needs the admin role\n");
            return;
          }
          respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
        } else if (path.equals("/health")) {
          Optional<String> why = notServing.get();
          respond(exchange, why.isEmpty() ? 200 : 503, "text/plain; charset=utf-8",
              why.map(w -> "NOT_SERVING: " + w + "\n").orElse("SERVING\n"));
        } else {
          respond(exchange, 404, "text/plain; charset=utf-8", "not found; try /metrics or /health\n");
        }
      }
    });
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "tally-metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
    return new MetricsHttpServer(server, executor);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void respond(HttpExchange exchange, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
