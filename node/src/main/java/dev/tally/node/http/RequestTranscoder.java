package dev.tally.node.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a route's gRPC request from an HTTP request, as grpc-gateway does: path variables set
 * their fields; with {@code body: "*"} the JSON body is the rest of the message, otherwise the
 * non-path scalar fields come from query parameters. Repeated fields take repeated parameters
 * ({@code ?keys=a&keys=b}) and comma lists ({@code ?keys=a,b}; a comma inside a key is written
 * {@code %2C}). Anything the message has no field for is refused naming it. Stateless.
 */
final class RequestTranscoder {
  /** The watch route's stand-in for an Authorization header (EventSource cannot set headers). */
  static final String ACCESS_TOKEN = "access_token";

  private RequestTranscoder() {}

  /** A request's query split into raw names and raw values, in order. */
  record Query(Map<String, List<String>> raw) {
    static Query parse(String rawQuery) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      if (rawQuery == null || rawQuery.isEmpty()) {
        return new Query(out);
      }
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decodeQuery(eq < 0 ? pair : pair.substring(0, eq), "a query parameter name");
        out.computeIfAbsent(name, k -> new ArrayList<>()).add(eq < 0 ? "" : pair.substring(eq + 1));
      }
      return new Query(out);
    }

    /** Removes and returns a parameter's decoded value (the last one given), or null. */
    String take(String name) {
      List<String> values = raw.remove(name);
      return values == null ? null : decodeQuery(values.get(values.size() - 1), "query parameter " + name);
    }
  }

  static Message build(HttpRoute route, Map<String, String> rawVariables, Query query, byte[] body) {
    Descriptor type = route.descriptor().getInputType();
    ObjectNode json;
    if (route.body().equals("*")) {
      json = JsonMapping.readObject(body);
      if (!query.raw().isEmpty()) {
        throw new BadRequest("unknown query parameter '" + query.raw().keySet().iterator().next()
            + "': this route takes its fields in the JSON body");
      }
    } else {
      if (body != null && body.length > 0) {
        if (route.body().isEmpty()) {
          throw new BadRequest(route.httpMethod() + " " + route.template().text() + " takes no request body");
        }
      }
      json = JsonNodeFactory.instance.objectNode();
      if (!route.body().isEmpty()) {
        json.set(route.body(), JsonMapping.readObject(body));
      }
      for (Map.Entry<String, List<String>> p : query.raw().entrySet()) {
        setFromQuery(json, type, route, p.getKey(), p.getValue());
      }
    }
    for (Map.Entry<String, String> v : rawVariables.entrySet()) {
      String value;
      try {
        value = PercentDecoding.decode(v.getValue(), false);
      } catch (IllegalArgumentException e) {
        throw new BadRequest("path parameter " + v.getKey() + ": " + e.getMessage() + "; nothing was applied");
      }
      setPath(json, v.getKey(), TextNode.valueOf(value), true);
    }
    Message.Builder builder = route.requestPrototype().newBuilderForType();
    JsonMapping.merge(json, builder);
    return builder.build();
  }

  private static void setFromQuery(ObjectNode json, Descriptor type, HttpRoute route, String name, List<String> rawValues) {
    FieldDescriptor f = FieldPaths.find(type, name);
    if (f == null || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE || route.template().variables().contains(name)) {
      List<String> allowed = new ArrayList<>();
      for (FieldDescriptor field : type.getFields()) {
        if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE && !route.template().variables().contains(field.getName())) {
          allowed.add(field.getName());
        }
      }
      throw new BadRequest("unknown query parameter '" + name + "' (" + route.httpMethod() + " "
          + route.template().text() + " takes: " + (allowed.isEmpty() ? "none" : String.join(", ", allowed)) + ")");
    }
    if (f.isRepeated()) {
      ArrayNode array = JsonNodeFactory.instance.arrayNode();
      for (String raw : rawValues) {
        for (String part : raw.split(",", -1)) {
          array.add(decodeQuery(part, "query parameter " + name));
        }
      }
      setPath(json, name, array, false);
    } else {
      if (rawValues.size() > 1) {
        throw new BadRequest("query parameter '" + name + "' is given " + rawValues.size() + " times; it takes one value");
      }
      setPath(json, name, TextNode.valueOf(decodeQuery(rawValues.get(0), "query parameter " + name)), false);
    }
  }

  private static String decodeQuery(String raw, String what) {
    try {
      return PercentDecoding.decode(raw, true);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(what + ": " + e.getMessage() + "; nothing was applied");
    }
  }

  private static void setPath(ObjectNode json, String path, JsonNode value, boolean fromPath) {
    String[] parts = path.split("\\.");
    ObjectNode node = json;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      ObjectNode next;
      if (child instanceof ObjectNode o) {
        next = o;
      } else {
        next = JsonNodeFactory.instance.objectNode();
        node.set(parts[i], next);
      }
      node = next;
    }
    String leaf = parts[parts.length - 1];
    JsonNode existing = node.get(leaf);
    if (fromPath && existing != null && !existing.equals(value)) {
      throw new BadRequest("'" + path + "' is given both in the URL path and in the body, differently; "
          + "leave it out of the body");
    }
    node.set(leaf, value);
  }
}
