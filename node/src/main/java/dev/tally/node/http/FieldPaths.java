package dev.tally.node.http;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;

/** Dotted field paths ({@code item.key}) of a message type, as path templates and query parameters name them. */
final class FieldPaths {
  private FieldPaths() {}

  /** The field at {@code path}, or null when there is none (or a step is not a singular message). */
  static FieldDescriptor find(Descriptor type, String path) {
    Descriptor d = type;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length; i++) {
      FieldDescriptor f = d.findFieldByName(parts[i]);
      if (f == null) {
        return null;
      }
      if (i == parts.length - 1) {
        return f;
      }
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || f.isRepeated()) {
        return null;
      }
      d = f.getMessageType();
    }
    return null;
  }
}
