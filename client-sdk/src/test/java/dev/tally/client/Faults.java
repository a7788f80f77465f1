package dev.tally.client;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Injects failures in front of a fake node's CounterService and counts the calls that reached the
 * node, per method (Watch included).
 *
 * <ul>
 *   <li>{@link Kind#REJECT}: fail before the handler runs (nothing applied);
 *   <li>{@link Kind#LOSE_RESPONSE}: let the handler run (the write IS applied) and replace its reply
 *       with an error, as when a response is lost on the way back;
 *   <li>{@link Kind#HANG}: never answer (the client's attempt deadline ends it).
 * </ul>
 *
 * Planned faults apply to the next calls, in order; a standing fault applies to every call after
 * them. Both can be limited to one method.
 */
final class Faults implements ServerInterceptor {

  enum Kind { REJECT, LOSE_RESPONSE, HANG }

  record Fault(Kind kind, Status status, String method) {
    boolean matches(String fullMethodName) {
      return method == null || fullMethodName.endsWith("/" + method);
    }
  }

  private final Deque<Fault> planned = new ArrayDeque<>();
  private final List<String> calls = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger cancelledHangs =
      new java.util.concurrent.atomic.AtomicInteger();
  private Fault standing;

  /** The next {@code n} calls of {@code method} (null: any) fail this way. */
  synchronized Faults next(int n, Kind kind, Status status, String method) {
    for (int i = 0; i < n; i++) {
      planned.add(new Fault(kind, status, method));
    }
    return this;
  }

  /** Every call of {@code method} (null: any), after the planned ones, fails this way. */
  synchronized Faults always(Kind kind, Status status, String method) {
    standing = new Fault(kind, status, method);
    return this;
  }

  synchronized void clear() {
    planned.clear();
    standing = null;
  }

  /** How many calls of {@code method} (e.g. "Increment") reached this node. */
  synchronized int calls(String method) {
    return (int) calls.stream().filter(m -> m.endsWith("/" + method)).count();
  }

  /** Hanging calls that the client cancelled (its deadline or an explicit cancel). */
  int cancelledHangs() {
    return cancelledHangs.get();
  }

  synchronized int totalCalls() {
    return calls.size();
  }

  private synchronized Fault take(String method) {
    calls.add(method);
    Fault head = planned.peek();
    if (head != null && head.matches(method)) {
      return planned.poll();
    }
    if (standing != null && standing.matches(method)) {
      return standing;
    }
    return null;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Fault fault = take(call.getMethodDescriptor().getFullMethodName());
    if (fault == null) {
      return next.startCall(call, headers);
    }
    switch (fault.kind()) {
      case REJECT:
        call.close(fault.status(), new Metadata());
        return new ServerCall.Listener<>() {};
      case HANG:
        return new ServerCall.Listener<>() {
          @Override
          public void onCancel() {
            cancelledHangs.incrementAndGet();
          }
        };
      case LOSE_RESPONSE:
      default:
        ServerCall<Q, R> lossy = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendMessage(R message) {
            // dropped: the node applied the write but the client never hears of it
          }

          @Override
          public void close(Status status, Metadata trailers) {
            super.close(status.isOk() ? fault.status() : status, new Metadata());
          }
        };
        return next.startCall(lossy, headers);
    }
  }
}
