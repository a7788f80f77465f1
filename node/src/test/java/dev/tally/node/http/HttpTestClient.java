package dev.tally.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** java.net.http against a node's HTTP port, with JSON answers parsed. */
final class HttpTestClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One answer: status, parsed JSON body (null when not JSON), raw response. */
  record Reply(int status, JsonNode json, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private final HttpClient client;
  private final String base;

  HttpTestClient(HttpClient client, String base) {
    this.client = client;
    this.base = base;
  }

  static HttpTestClient plain(int port) {
    return new HttpTestClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build(), "http://127.0.0.1:" + port);
  }

  /** Percent-encodes every byte of the key's UTF-8 but the unreserved ones, as encodeURIComponent does (and ':' too). */
  static String path(String key) {
    StringBuilder b = new StringBuilder();
    for (byte x : key.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c));
      }
    }
    return b.toString();
  }

  Reply get(String path, String... headers) {
    return send(request(path, headers).GET().build());
  }

  Reply post(String path, String json, String... headers) {
    HttpRequest.Builder b = request(path, headers);
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return send(b.POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)).build());
  }

  Reply method(String method, String path, String... headers) {
    return send(request(path, headers).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  Reply send(HttpRequest r) {
    try {
      HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      if (resp.headers().firstValue("content-type").orElse("").startsWith("application/json")) {
        json = JSON.readTree(resp.body());
      }
      return new Reply(resp.statusCode(), json, resp);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpClient client() {
    return client;
  }

  String base() {
    return base;
  }
}
