package dev.tally.node.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code google.api.http} path template ({@code /v1/counters/{key}:increment}): literal
 * segments, {@code *} (one segment), {@code **} (the rest, last only), variables
 * {@code {field}}, {@code {field=*}} and {@code {field=**}}, and an optional {@code :verb} after
 * the last segment. Matching works on the raw (still percent-encoded) path, so an encoded
 * {@code %2F} or {@code %3A} inside a key never splits a segment or looks like a verb; captured
 * values are returned raw and decoded by the caller (a malformed encoding is then a 400 for a
 * route that exists, not a 404).
 */
record PathTemplate(String text, List<Segment> segments, String verb) {
  /** One segment of the template. */
  sealed interface Segment permits Literal, Wildcard, Variable {}

  record Literal(String value) implements Segment {}

  /** {@code *} or {@code **} outside a variable. */
  record Wildcard(boolean rest) implements Segment {}

  /** {@code {field}} (one segment) or {@code {field=**}} (the rest). */
  record Variable(String field, boolean rest) implements Segment {}

  PathTemplate {
    segments = List.copyOf(segments);
  }

  /** @throws IllegalArgumentException when the template is not one this gateway serves */
  static PathTemplate parse(String text) {
    if (!text.startsWith("/")) {
      throw new IllegalArgumentException("path template must start with '/': " + text);
    }
    String body = text.substring(1);
    String verb = null;
    int lastSlash = body.lastIndexOf('/');
    int closing = body.lastIndexOf('}');
    int colon = body.indexOf(':', Math.max(lastSlash, closing) + 1);
    if (colon >= 0) {
      verb = body.substring(colon + 1);
      body = body.substring(0, colon);
      if (verb.isEmpty() || verb.contains("/")) {
        throw new IllegalArgumentException("bad verb in path template " + text);
      }
    }
    List<Segment> out = new ArrayList<>();
    for (String part : body.split("/", -1)) {
      if (part.isEmpty()) {
        throw new IllegalArgumentException("empty segment in path template " + text);
      }
      Segment s;
      if (part.startsWith("{") && part.endsWith("}")) {
        String inner = part.substring(1, part.length() - 1);
        int eq = inner.indexOf('=');
        String field = eq < 0 ? inner : inner.substring(0, eq);
        String pattern = eq < 0 ? "*" : inner.substring(eq + 1);
        if (!pattern.equals("*") && !pattern.equals("**")) {
          throw new IllegalArgumentException("only {field}, {field=*} and {field=**} are supported: " + text);
        }
        s = new Variable(field, pattern.equals("**"));
      } else if (part.equals("*") || part.equals("**")) {
        s = new Wildcard(part.equals("**"));
      } else if (part.contains("{") || part.contains("}")) {
        throw new IllegalArgumentException("a variable must be a whole segment: " + text);
      } else {
        s = new Literal(part);
      }
      out.add(s);
    }
    for (int i = 0; i < out.size() - 1; i++) {
      if (out.get(i) instanceof Wildcard w && w.rest() || out.get(i) instanceof Variable v && v.rest()) {
        throw new IllegalArgumentException("'**' may only be the last segment: " + text);
      }
    }
    return new PathTemplate(text, out, verb);
  }

  /** The variables' field paths, in template order. */
  List<String> variables() {
    return segments.stream().filter(s -> s instanceof Variable).map(s -> ((Variable) s).field()).toList();
  }

  /**
   * The raw values of the variables when {@code rawPath} (no query, starting with '/') matches,
   * else empty.
   */
  Optional<Map<String, String>> match(String rawPath) {
    if (!rawPath.startsWith("/")) {
      return Optional.empty();
    }
    String path = rawPath.substring(1);
    if (verb != null) {
      String suffix = ":" + verb;
      if (!path.endsWith(suffix)) {
        return Optional.empty();
      }
      path = path.substring(0, path.length() - suffix.length());
    }
    String[] parts = path.split("/", -1);
    Map<String, String> vars = new LinkedHashMap<>();
    int n = segments.size();
    boolean rest = n > 0 && (segments.get(n - 1) instanceof Wildcard w && w.rest()
        || segments.get(n - 1) instanceof Variable v && v.rest());
    if (rest ? parts.length < n : parts.length != n) {
      return Optional.empty();
    }
    for (int i = 0; i < n; i++) {
      Segment s = segments.get(i);
      boolean last = i == n - 1;
      String value = last && rest ? String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length)) : parts[i];
      if (s instanceof Literal l) {
        if (!l.value().equals(value)) {
          return Optional.empty();
        }
      } else if (s instanceof Variable v) {
        vars.put(v.field(), value);
      }
    }
    return Optional.of(vars);
  }

  /** The template as OpenAPI writes paths ({@code /v1/counters/{key}:increment}). */
  String openApiPath() {
    StringBuilder b = new StringBuilder();
    for (Segment s : segments) {
      b.append('/');
      if (s instanceof Literal l) {
        b.append(l.value());
      } else if (s instanceof Variable v) {
        b.append('{').append(v.field()).append('}');
      } else {
        b.append(((Wildcard) s).rest() ? "**" : "*");
      }
    }
    return verb == null ? b.toString() : b + ":" + verb;
  }
}
