package dev.tally.node.http;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;

/**
 * One HTTP binding of one gRPC method, read from its {@code google.api.http} option.
 *
 * @param httpMethod GET, POST, PUT, PATCH or DELETE
 * @param template the path template
 * @param body "" (no body: the fields not in the path come from the query), "*" (the whole
 *     request message is the JSON body) or a field name (that field is the body)
 * @param method the gRPC method as the client side of the in-process hop calls it
 * @param descriptor the protobuf method (request and response message types, comments)
 */
record HttpRoute(String httpMethod, PathTemplate template, String body, MethodDescriptor<Message, Message> method,
    Descriptors.MethodDescriptor descriptor) {

  /** The request's prototype, for a builder of the right type. */
  Message requestPrototype() {
    return ((MethodDescriptor.PrototypeMarshaller<Message>) method.getRequestMarshaller()).getMessagePrototype();
  }

  boolean serverStreaming() {
    return method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
  }

  /** The metric label: the template, never the raw path (bounded). */
  String label() {
    return template.text();
  }
}
