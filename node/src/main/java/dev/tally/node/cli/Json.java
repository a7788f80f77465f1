package dev.tally.node.cli;

import java.util.List;
import java.util.Map;

/**
 * Writes the JSON of the command line's {@code --json} output: objects of strings, numbers,
 * booleans, nulls, nested objects and lists, on one line. Only what the commands print; there is
 * no parser.
 */
final class Json {
  private Json() {}

  /** {@code fields} as a JSON object, in the map's iteration order. */
  static String object(Map<String, ?> fields) {
    StringBuilder sb = new StringBuilder();
    appendObject(sb, fields);
    return sb.toString();
  }

  private static void appendObject(StringBuilder sb, Map<?, ?> fields) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<?, ?> e : fields.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      appendString(sb, String.valueOf(e.getKey()));
      sb.append(':');
      appendValue(sb, e.getValue());
    }
    sb.append('}');
  }

  private static void appendValue(StringBuilder sb, Object value) {
    if (value == null) {
      sb.append("null");
    } else if (value instanceof String s) {
      appendString(sb, s);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Boolean) {
      sb.append(value);
    } else if (value instanceof Map<?, ?> m) {
      appendObject(sb, m);
    } else if (value instanceof List<?> list) {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        appendValue(sb, list.get(i));
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
  }

  /** A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259). */
  static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
