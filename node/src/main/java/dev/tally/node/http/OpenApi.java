package dev.tally.node.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The OpenAPI 3.1 document of a route table, generated from the same descriptors and
 * {@code google.api.http} options the gateway routes by, so it cannot drift from what is served:
 * one path item per template, one operation per binding, path and query parameters, the request
 * body and response schemas from the message types (proto field names; 64-bit integers as
 * "integer or string"; Timestamp as an RFC 3339 string; enums by name), and the error body.
 */
final class OpenApi {
  static final String PATH = "/v1/openapi.json";
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private OpenApi() {}

  static String document(RouteTable table, String version) {
    ObjectNode doc = F.objectNode();
    doc.put("openapi", "3.1.0");
    ObjectNode info = doc.putObject("info");
    info.put("title", "Tally HTTP/JSON API");
    info.put("version", version);
    info.put("description", "Transcoded from the tally.v1 gRPC services (google.api.http options). "
        + "Errors are {\"code\",\"message\"} with the gRPC code's name. See docs/api.md.");
    ObjectNode paths = doc.putObject("paths");
    Set<Descriptor> types = new LinkedHashSet<>();
    for (HttpRoute r : table.routes()) {
      ObjectNode item = paths.has(r.template().openApiPath()) ? (ObjectNode) paths.get(r.template().openApiPath())
          : paths.putObject(r.template().openApiPath());
      ObjectNode op = item.putObject(r.httpMethod().toLowerCase(java.util.Locale.ROOT));
      op.put("operationId", r.descriptor().getService().getName() + "_" + r.descriptor().getName());
      op.putArray("tags").add(r.descriptor().getService().getName());
      ArrayNode params = op.putArray("parameters");
      Descriptor input = r.descriptor().getInputType();
      for (String v : r.template().variables()) {
        ObjectNode p = params.addObject();
        p.put("name", v);
        p.put("in", "path");
        p.put("required", true);
        p.set("schema", fieldSchema(FieldPaths.find(input, v), types, false));
      }
      if (r.body().isEmpty()) {
        for (FieldDescriptor f : input.getFields()) {
          if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE || r.template().variables().contains(f.getName())) {
            continue;
          }
          ObjectNode p = params.addObject();
          p.put("name", f.getName());
          p.put("in", "query");
          p.set("schema", fieldSchema(f, types, true));
          if (f.isRepeated()) {
            p.put("style", "form");
            p.put("explode", true);
            p.put("description", "Repeat the parameter or separate values with commas (%2C for a comma inside a value).");
          }
        }
        if (r.serverStreaming()) {
          ObjectNode p = params.addObject();
          p.put("name", RequestTranscoder.ACCESS_TOKEN);
          p.put("in", "query");
          p.putObject("schema").put("type", "string");
          p.put("description", "A bearer token, for EventSource, which cannot send an Authorization header. "
              + "Query strings end up in proxy and browser logs: prefer the header where you can.");
        }
      } else {
        ObjectNode body = op.putObject("requestBody");
        body.put("required", false);
        Descriptor bodyType = r.body().equals("*") ? input : input.findFieldByName(r.body()).getMessageType();
        types.add(bodyType);
        body.putObject("content").putObject("application/json").set("schema", ref(bodyType));
      }
      ObjectNode responses = op.putObject("responses");
      ObjectNode ok = responses.putObject("200");
      Descriptor output = r.descriptor().getOutputType();
      types.add(output);
      if (r.serverStreaming()) {
        ok.put("description", "Server-Sent Events: one 'value' event per message (data: the JSON below), "
            + "the current values first, then every change; comment heartbeats; an 'error' event {code,message} before the stream ends on an error.");
        ok.putObject("content").putObject("text/event-stream").set("schema", ref(output));
      } else {
        ok.put("description", "OK");
        ok.putObject("content").putObject("application/json").set("schema", ref(output));
      }
      ObjectNode error = responses.putObject("default");
      error.put("description", "An error: HTTP status from the gRPC code (400, 401, 403, 404, 409, 413, 429, 499, 500, 501, 503, 504)");
      error.putObject("content").putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/Error");
    }
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    Deque<Descriptor> todo = new ArrayDeque<>(types);
    Set<Descriptor> done = new LinkedHashSet<>();
    while (!todo.isEmpty()) {
      Descriptor d = todo.poll();
      if (!done.add(d)) {
        continue;
      }
      Set<Descriptor> more = new LinkedHashSet<>();
      schemas.set(d.getFullName(), messageSchema(d, more));
      todo.addAll(more);
    }
    ObjectNode err = schemas.putObject("Error");
    err.put("type", "object");
    err.putArray("required").add("code").add("message");
    ObjectNode ep = err.putObject("properties");
    ObjectNode code = ep.putObject("code");
    code.put("type", "string");
    ArrayNode codes = code.putArray("enum");
    for (io.grpc.Status.Code c : io.grpc.Status.Code.values()) {
      if (c != io.grpc.Status.Code.OK) {
        codes.add(c.name());
      }
    }
    ep.putObject("message").put("type", "string");
    return doc.toPrettyString();
  }

  private static ObjectNode ref(Descriptor d) {
    return F.objectNode().put("$ref", "#/components/schemas/" + d.getFullName());
  }

  private static ObjectNode messageSchema(Descriptor d, Set<Descriptor> more) {
    ObjectNode s = F.objectNode();
    s.put("type", "object");
    s.put("additionalProperties", false);
    ObjectNode props = s.putObject("properties");
    for (FieldDescriptor f : d.getFields()) {
      props.set(f.getName(), fieldSchema(f, more, true));
    }
    return s;
  }

  private static ObjectNode fieldSchema(FieldDescriptor f, Set<Descriptor> more, boolean withRepeated) {
    ObjectNode one = scalarSchema(f, more);
    if (withRepeated && f.isRepeated()) {
      ObjectNode array = F.objectNode();
      array.put("type", "array");
      array.set("items", one);
      return array;
    }
    return one;
  }

  private static ObjectNode scalarSchema(FieldDescriptor f, Set<Descriptor> more) {
    ObjectNode s = F.objectNode();
    switch (f.getType()) {
      case STRING -> s.put("type", "string");
      case BYTES -> s.put("type", "string").put("contentEncoding", "base64");
      case BOOL -> s.put("type", "boolean");
      case INT32, SINT32, SFIXED32 -> s.put("type", "integer").put("format", "int32");
      case UINT32, FIXED32 -> s.put("type", "integer").put("format", "uint32");
      case INT64, SINT64, SFIXED64, UINT64, FIXED64 -> {
        s.putArray("type").add("integer").add("string");
        s.put("format", f.getType() == FieldDescriptor.Type.UINT64 || f.getType() == FieldDescriptor.Type.FIXED64 ? "uint64" : "int64");
        s.put("description", "A JSON number when |v| <= 2^53-1, else a decimal string; either is accepted");
      }
      case FLOAT -> s.put("type", "number").put("format", "float");
      case DOUBLE -> s.put("type", "number").put("format", "double");
      case ENUM -> {
        s.put("type", "string");
        ArrayNode values = s.putArray("enum");
        for (EnumValueDescriptor v : f.getEnumType().getValues()) {
          values.add(v.getName());
        }
      }
      case MESSAGE, GROUP -> {
        Descriptor m = f.getMessageType();
        if (m.getFullName().equals("google.protobuf.Timestamp")) {
          s.put("type", "string").put("format", "date-time");
        } else {
          more.add(m);
          return ref(m);
        }
      }
    }
    return s;
  }
}
