package dev.tally.node.fuzz;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Calls a real method of a node with raw request bytes, so the server's own parsing runs on
 * whatever a broken or hostile client sends. Answers are raw bytes too, parsed by the caller.
 */
final class RawCalls {
  /** How long one call may take before it counts as a hang. */
  static final long DEADLINE_SECONDS = 10;

  private RawCalls() {}

  /** What a call came back with: the code, its description, and the response messages (unparsed). */
  record Outcome(Status.Code code, String description, List<byte[]> responses) {
    boolean ok() {
      return code == Status.Code.OK;
    }

    byte[] response() {
      return responses.isEmpty() ? null : responses.get(0);
    }
  }

  static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(method.getType())
        .setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(Bytes.INSTANCE)
        .setResponseMarshaller(Bytes.INSTANCE)
        .build();
  }

  static Outcome unary(Channel channel, MethodDescriptor<?, ?> method, byte[] request) {
    return unary(channel, method, request, false);
  }

  /** @param gzip sends the request compressed, so the server's decompression runs on it too */
  static Outcome unary(Channel channel, MethodDescriptor<?, ?> method, byte[] request, boolean gzip) {
    try {
      byte[] response = ClientCalls.blockingUnaryCall(channel, raw(method), options(gzip), request);
      return new Outcome(Status.Code.OK, null, List.of(response));
    } catch (StatusRuntimeException e) {
      return new Outcome(e.getStatus().getCode(), e.getStatus().getDescription(), List.of());
    }
  }

  /**
   * A server-streaming call: waits until the stream closes or {@code expected} messages arrived
   * (then cancels it, as a client that has seen enough). A stream that does neither within the
   * deadline comes back as DEADLINE_EXCEEDED; one that was cut short by us as OK.
   */
  static Outcome serverStream(Channel channel, MethodDescriptor<?, ?> method, byte[] request, int expected,
      boolean gzip) throws InterruptedException {
    ClientCall<byte[], byte[]> call = channel.newCall(raw(method), options(gzip));
    List<byte[]> received = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    Status[] closed = new Status[1];
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        synchronized (received) {
          received.add(message);
          if (received.size() >= expected) {
            done.countDown();
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        synchronized (received) {
          closed[0] = status;
        }
        done.countDown();
      }
    }, new Metadata());
    call.request(Math.max(expected, 1) + 1);
    call.sendMessage(request);
    call.halfClose();
    boolean finished = done.await(DEADLINE_SECONDS, TimeUnit.SECONDS);
    synchronized (received) {
      Status status = closed[0];
      List<byte[]> copy = List.copyOf(received);
      if (status == null) {
        call.cancel("fuzz: seen enough", null);
        return finished ? new Outcome(Status.Code.OK, null, copy)
            : new Outcome(Status.Code.DEADLINE_EXCEEDED, "no answer within " + DEADLINE_SECONDS + " s", copy);
      }
      return new Outcome(status.getCode(), status.getDescription(), copy);
    }
  }

  private static CallOptions options(boolean gzip) {
    CallOptions o = CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    return gzip ? o.withCompression("gzip") : o;
  }

  /** Request and response bytes as they are on the wire. */
  enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
