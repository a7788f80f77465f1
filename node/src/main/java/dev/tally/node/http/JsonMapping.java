package dev.tally.node.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Protobuf's JSON mapping (protobuf-java-util's {@link JsonFormat}, proto field names) with two
 * adjustments for browsers:
 *
 * <ul>
 *   <li>64-bit integers are printed as JSON numbers when |v| <= 2^53 - 1 (exact in a JavaScript
 *       number) and as strings beyond, where a number would silently lose digits; input accepts
 *       both for any value.
 *   <li>Enum values may be written without their type's prefix: {@code "QUORUM"} for
 *       {@code CONSISTENCY_QUORUM} (the full name works too). Output uses the full names.
 * </ul>
 *
 * Unknown fields are refused naming the field. Thread-safe (stateless).
 */
final class JsonMapping {
  static final long MAX_SAFE_INTEGER = (1L << 53) - 1;
  private static final BigInteger SAFE = BigInteger.valueOf(MAX_SAFE_INTEGER);
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames()
      .alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private JsonMapping() {}

  /** Parses a request body; null or blank is an empty object. @throws BadRequest on bad JSON */
  static ObjectNode readObject(byte[] body) {
    if (body == null || body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      return JsonNodeFactory.instance.objectNode();
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadRequest("the request body is not valid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new BadRequest("the request body could not be read: " + e.getMessage());
    }
    if (!(tree instanceof ObjectNode o)) {
      throw new BadRequest("the request body must be a JSON object, got " + tree.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    return o;
  }

  /** Merges {@code json} (already in the message's shape) into {@code builder}. @throws BadRequest naming the field */
  static void merge(ObjectNode json, Message.Builder builder) {
    expandEnums(json, builder.getDescriptorForType());
    try {
      PARSER.merge(MAPPER.writeValueAsString(json), builder);
    } catch (InvalidProtocolBufferException e) {
      throw new BadRequest(describe(e.getMessage()));
    } catch (JsonProcessingException e) {
      throw new BadRequest("the request body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** JsonFormat's words, made to read as an answer to the caller. */
  private static String describe(String message) {
    String m = message == null ? "invalid request" : message;
    if (m.startsWith("Cannot find field: ")) {
      String rest = m.substring("Cannot find field: ".length());
      int in = rest.indexOf(" in message ");
      String field = in < 0 ? rest : rest.substring(0, in);
      String type = in < 0 ? "" : rest.substring(in + " in message ".length());
      return "unknown field '" + field + "'" + (type.isEmpty() ? "" : " in " + type) + "; nothing was applied";
    }
    return "invalid request: " + m + "; nothing was applied";
  }

  /** The message as JSON text. */
  static String print(MessageOrBuilder message) {
    try {
      JsonNode tree = MAPPER.readTree(PRINTER.print(message));
      if (tree instanceof ObjectNode o) {
        narrowIntegers(o, message.getDescriptorForType());
      }
      return MAPPER.writeValueAsString(tree);
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName() + " as JSON", e);
    }
  }

  private static boolean isWellKnown(Descriptor d) {
    return d.getFullName().startsWith("google.protobuf.");
  }

  private static boolean is64Bit(FieldDescriptor f) {
    return switch (f.getType()) {
      case INT64, UINT64, SINT64, FIXED64, SFIXED64 -> true;
      default -> false;
    };
  }

  /** 64-bit strings within the safe range become numbers, recursively (not inside well-known types). */
  private static void narrowIntegers(ObjectNode node, Descriptor type) {
    if (isWellKnown(type)) {
      return;
    }
    for (FieldDescriptor f : type.getFields()) {
      JsonNode v = node.get(f.getName());
      if (v == null || v.isNull()) {
        continue;
      }
      if (f.isMapField()) {
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        Iterator<Map.Entry<String, JsonNode>> it = v.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          JsonNode n = narrowOne(e.getValue(), valueField);
          if (n != null) {
            ((ObjectNode) v).set(e.getKey(), n);
          }
        }
      } else if (f.isRepeated() && v instanceof ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          JsonNode n = narrowOne(array.get(i), f);
          if (n != null) {
            array.set(i, n);
          }
        }
      } else {
        JsonNode n = narrowOne(v, f);
        if (n != null) {
          node.set(f.getName(), n);
        }
      }
    }
  }

  /** The replacement for one value, or null to keep it. */
  private static JsonNode narrowOne(JsonNode v, FieldDescriptor f) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && v instanceof ObjectNode o) {
      narrowIntegers(o, f.getMessageType());
      return null;
    }
    if (is64Bit(f) && v.isTextual()) {
      BigInteger b = new BigInteger(v.asText());
      if (b.abs().compareTo(SAFE) <= 0) {
        return JsonNodeFactory.instance.numberNode(b.longValueExact());
      }
    }
    return null;
  }

  /** Short enum names ({@code QUORUM}) become the declared ones ({@code CONSISTENCY_QUORUM}). */
  private static void expandEnums(ObjectNode node, Descriptor type) {
    if (isWellKnown(type)) {
      return;
    }
    for (FieldDescriptor f : type.getFields()) {
      JsonNode v = node.get(f.getName());
      if (v == null) {
        v = node.get(f.getJsonName());
      }
      if (v == null || f.isMapField()) {
        continue;
      }
      String name = node.has(f.getName()) ? f.getName() : f.getJsonName();
      if (f.isRepeated() && v instanceof ArrayNode array) {
        for (int i = 0; i < array.size(); i++) {
          JsonNode n = expandOne(array.get(i), f);
          if (n != null) {
            array.set(i, n);
          }
        }
      } else {
        JsonNode n = expandOne(v, f);
        if (n != null) {
          node.set(name, n);
        }
      }
    }
  }

  private static JsonNode expandOne(JsonNode v, FieldDescriptor f) {
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && v instanceof ObjectNode o) {
      expandEnums(o, f.getMessageType());
      return null;
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.ENUM && v.isTextual()) {
      EnumDescriptor e = f.getEnumType();
      if (e.findValueByName(v.asText()) == null) {
        String full = enumPrefix(e) + v.asText().toUpperCase(Locale.ROOT);
        if (e.findValueByName(full) != null) {
          return TextNode.valueOf(full);
        }
      }
    }
    return null;
  }

  /** {@code Consistency} -> {@code CONSISTENCY_}, {@code FailoverResolution} -> {@code FAILOVER_RESOLUTION_}. */
  static String enumPrefix(EnumDescriptor e) {
    return e.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT) + "_";
  }
}
