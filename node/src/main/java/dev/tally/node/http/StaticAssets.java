package dev.tally.node.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The console's files: classpath resources under {@code console/} served at {@code /console}
 * ({@code index.html}) and {@code /console/<path>}. Paths are decoded strictly and must be plain
 * relative names (letters, digits, '.', '-', '_' and '/', no '..' segment, no empty segment), so
 * nothing outside {@code console/} can be named; anything else is 404.
 */
final class StaticAssets {
  static final String PREFIX = "/console";
  private static final String ROOT = "console/";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "mjs", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "json", "application/json",
      "svg", "image/svg+xml",
      "png", "image/png",
      "ico", "image/x-icon",
      "txt", "text/plain; charset=utf-8",
      "map", "application/json");

  /** A file's bytes and content type. */
  record Asset(byte[] bytes, String contentType) {}

  private final ClassLoader loader;

  StaticAssets(ClassLoader loader) {
    this.loader = loader;
  }

  static boolean handles(String rawPath) {
    return rawPath.equals(PREFIX) || rawPath.startsWith(PREFIX + "/");
  }

  /** The asset for a raw request path under /console, or empty (404). */
  Optional<Asset> find(String rawPath) {
    String rest = rawPath.equals(PREFIX) || rawPath.equals(PREFIX + "/") ? "index.html" : rawPath.substring(PREFIX.length() + 1);
    String name;
    try {
      name = PercentDecoding.decode(rest, false);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (name.endsWith("/")) {
      name = name + "index.html";
    }
    if (!SAFE.matcher(name).matches() || java.util.Arrays.stream(name.split("/")).anyMatch(s -> s.equals("..") || s.equals("."))) {
      return Optional.empty();
    }
    int dot = name.lastIndexOf('.');
    String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in = loader.getResourceAsStream(ROOT + name)) {
      return in == null ? Optional.empty() : Optional.of(new Asset(in.readAllBytes(), type));
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
