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
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * @param port 0 picks a free port
   * @param notServing why the node is not serving now, empty while it is
   * @throws IOException if the address cannot be bound
   */
  public static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry,
      Supplier<Optional<String>> notServing)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
          respond(exchange, 405, "text/plain; charset=utf-8", "use GET\n");
        } else if (path.equals("/metrics")) {
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
