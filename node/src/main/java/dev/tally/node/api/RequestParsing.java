package dev.tally.node.api;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.WireFormat;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Requests that cannot be parsed are INVALID_ARGUMENT naming what was wrong, not UNKNOWN.
 *
 * <p>A proto3 {@code string} field must hold UTF-8; protobuf refuses to parse a message in which
 * one does not, and grpc-java answers a request that fails to parse with UNKNOWN ("Application
 * error processing RPC"), which tells a client nothing and reads as a server bug. {@link #guard}
 * gives each method of a service a request marshaller that never throws: it parses the bytes
 * itself and, when they do not parse, carries the reason to the call, which is closed with
 * INVALID_ARGUMENT before the handler sees anything ({@code items[1].key is not valid UTF-8}).
 * Apply it outermost (after every interceptor), so interceptors keep seeing the real request
 * types; a refused call then never reaches them. Every status the guarded service closes with has
 * its description bounded ({@link StatusDescriptions}), so a long one still reaches the client.
 *
 * <p>Threads: the marshaller and the listener run where gRPC runs them (for Tally's servers, the
 * event loop); each call's listener is called by one thread at a time, as gRPC guarantees, which
 * is what makes {@code refused} safe without a lock. Nothing here blocks.
 */
public final class RequestParsing {
  private RequestParsing() {}

  /** A request as parsed: the message, or why it could not be. */
  private record Parsed<T>(T message, Status refusal) {}

  /**
   * The service with every method whose requests are protobuf messages guarded; other methods as
   * they were. Serve the result instead of the service.
   */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guardMethod(m);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <ReqT, RespT> ServerMethodDefinition<?, RespT> guardMethod(ServerMethodDefinition<ReqT, RespT> def) {
    MethodDescriptor<ReqT, RespT> method = def.getMethodDescriptor();
    if (!(method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<ReqT> proto)
        || !(proto.getMessagePrototype() instanceof Message prototype)) {
      return def;
    }
    MethodDescriptor<Parsed<ReqT>, RespT> guarded =
        method.toBuilder(new GuardedMarshaller<>(proto, prototype), method.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(guarded, new GuardedHandler<>(method, def.getServerCallHandler()));
  }

  /** Parses a request without throwing: a {@link Parsed} with the message or the refusal. */
  private static final class GuardedMarshaller<T> implements MethodDescriptor.Marshaller<Parsed<T>> {
    private final MethodDescriptor.Marshaller<T> delegate;
    private final Message prototype;

    GuardedMarshaller(MethodDescriptor.Marshaller<T> delegate, Message prototype) {
      this.delegate = delegate;
      this.prototype = prototype;
    }

    @Override
    public InputStream stream(Parsed<T> value) {
      return delegate.stream(value.message());
    }

    /**
     * Reading the stream fails with RESOURCE_EXHAUSTED when a compressed request decompresses past
     * the inbound limit (grpc checks it as it inflates); escaping here, that was answered UNKNOWN
     * and logged SEVERE (found beside {@code RequestFuzzTest}: a gzip "bomb").
     */
    @Override
    public Parsed<T> parse(InputStream stream) {
      try {
        return read(stream);
      } catch (StatusRuntimeException e) {
        return new Parsed<>(null, e.getStatus().withDescription(e.getStatus().getDescription() + "; nothing was applied"));
      }
    }

    @SuppressWarnings("unchecked")
    private Parsed<T> read(InputStream stream) {
      byte[] bytes;
      try {
        bytes = stream.readAllBytes();
      } catch (IOException e) {
        return new Parsed<>(null, Status.INVALID_ARGUMENT.withDescription("the request could not be read: " + e.getMessage()));
      }
      try {
        return new Parsed<>((T) prototype.getParserForType().parseFrom(bytes), null);
      } catch (InvalidProtocolBufferException e) {
        String field = invalidUtf8Field(prototype.getDescriptorForType(), bytes);
        String why = field != null
            ? field + " is not valid UTF-8 (string fields, keys and request ids among them, must be UTF-8 text)"
            : "the request could not be parsed as " + prototype.getDescriptorForType().getFullName() + ": "
                + e.getMessage();
        return new Parsed<>(null, Status.INVALID_ARGUMENT.withDescription(why + "; nothing was applied"));
      }
    }
  }

  /** Closes a call whose request did not parse; hands every other call to the service's handler. */
  private static final class GuardedHandler<ReqT, RespT> implements ServerCallHandler<Parsed<ReqT>, RespT> {
    private final MethodDescriptor<ReqT, RespT> method;
    private final ServerCallHandler<ReqT, RespT> next;

    GuardedHandler(MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> next) {
      this.method = method;
      this.next = next;
    }

    @Override
    public ServerCall.Listener<Parsed<ReqT>> startCall(ServerCall<Parsed<ReqT>, RespT> call, Metadata headers) {
      ServerCall.Listener<ReqT> inner = next.startCall(new Unwrapped<>(call, method), headers);
      return new ServerCall.Listener<>() {
        private boolean refused;

        @Override
        public void onMessage(Parsed<ReqT> request) {
          if (refused) {
            return;
          }
          if (request.refusal() != null) {
            refused = true;
            call.close(StatusDescriptions.bounded(request.refusal()), new Metadata());
            return;
          }
          inner.onMessage(request.message());
        }

        @Override
        public void onHalfClose() {
          if (!refused) {
            inner.onHalfClose();
          }
        }

        @Override
        public void onReady() {
          if (!refused) {
            inner.onReady();
          }
        }

        @Override
        public void onCancel() {
          inner.onCancel();
        }

        @Override
        public void onComplete() {
          inner.onComplete();
        }
      };
    }
  }

  /** The call as the service's handler expects it: with the method's own request type. */
  private static final class Unwrapped<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<?, RespT> call;
    private final MethodDescriptor<ReqT, RespT> method;

    Unwrapped(ServerCall<?, RespT> call, MethodDescriptor<ReqT, RespT> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(StatusDescriptions.bounded(status), trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }

  /**
   * The first string field (at any depth) whose bytes are not UTF-8, as a path such as
   * {@code request_id} or {@code items[1].key}; null when there is none or the bytes are not a
   * message at all.
   */
  static String invalidUtf8Field(Descriptor type, byte[] bytes) {
    try {
      return invalidUtf8Field(type, CodedInputStream.newInstance(bytes), "", 0);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String invalidUtf8Field(Descriptor type, CodedInputStream in, String prefix, int depth)
      throws IOException {
    if (depth > 32) {
      return null;
    }
    Map<Integer, Integer> seen = new HashMap<>();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
      if (field == null || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        in.skipField(tag);
        continue;
      }
      int index = seen.merge(field.getNumber(), 1, Integer::sum) - 1;
      String path = prefix + field.getName() + (field.isRepeated() ? "[" + index + "]" : "");
      if (field.getType() == FieldDescriptor.Type.STRING) {
        if (!in.readBytes().isValidUtf8()) {
          return path;
        }
      } else if (field.getType() == FieldDescriptor.Type.MESSAGE) {
        int limit = in.pushLimit(in.readRawVarint32());
        String inner = invalidUtf8Field(field.getMessageType(), in, path + ".", depth + 1);
        if (inner != null) {
          return inner;
        }
        in.popLimit(limit);
      } else {
        in.skipField(tag);
      }
    }
    return null;
  }
}
