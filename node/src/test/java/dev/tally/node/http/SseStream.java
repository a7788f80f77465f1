package dev.tally.node.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test's Server-Sent Events reader: lines arrive on a queue from a reader thread; close cancels. */
final class SseStream implements AutoCloseable {
  final HttpResponse<InputStream> response;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final Thread reader;

  private SseStream(HttpResponse<InputStream> response) {
    this.response = response;
    this.reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
        lines.add("<eof>");
      } catch (IOException e) {
        lines.add("<closed>");
      }
    }, "sse-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static SseStream open(HttpClient client, String url, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return new SseStream(client.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
  }

  /** The next line, waiting up to {@code timeout}; fails when none comes. */
  String nextLine(Duration timeout) throws InterruptedException {
    String l = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (l == null) {
      throw new AssertionError("no SSE line within " + timeout);
    }
    return l;
  }

  /** The data of the next {@code event} event, skipping comments and other fields. */
  String nextData(String event, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> block = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      String l = nextLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (l.startsWith("<")) {
        throw new AssertionError("stream ended: " + l + " after " + block);
      }
      if (!l.isEmpty()) {
        block.add(l);
        continue;
      }
      if (block.contains("event: " + event)) {
        for (String f : block) {
          if (f.startsWith("data: ")) {
            return f.substring("data: ".length());
          }
        }
      }
      block.clear();
    }
    throw new AssertionError("no '" + event + "' event within " + timeout);
  }

  @Override
  public void close() throws IOException {
    response.body().close();
  }
}
