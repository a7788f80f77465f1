package dev.tally.client;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetManyResponse;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A CounterService that behaves like a node for the client's purposes: counters in a map (P and N
 * per key, overflow refused with OUT_OF_RANGE), the node's input limits (INVALID_ARGUMENT naming
 * the field), dedupe by request_id (a repeat returns the first reply and applies nothing; an id
 * reused for a different request is refused; consistency, prior_nodes and failover_resolution are
 * not part of the request), and Watch (current values, then every change).
 * Every request it handled is recorded for assertions. Time is a counter, so runs are repeatable.
 *
 * <p>Concurrency: one lock guards all state; watch messages are sent under it so that each
 * watcher sees a key's values in order (sends only enqueue on the in-process transport).
 */
final class FakeCounterService extends CounterServiceGrpc.CounterServiceImplBase {

  private final Object lock = new Object();
  private final Map<String, long[]> counters = new HashMap<>();
  private final Map<String, Timestamp> updated = new HashMap<>();
  private final Map<String, Dedupe> dedupe = new HashMap<>();
  private final List<Watcher> watchers = new ArrayList<>();
  private final Queue<Message> requests = new ConcurrentLinkedQueue<>();
  private long clock = 1_700_000_000L;

  private record Dedupe(Message request, Message reply) {}

  private record Watcher(List<String> keys, ServerCallStreamObserver<CounterValue> observer) {}

  // ------------------------------------------------------------------ test helpers

  /** The counter's value now. */
  long value(String key) {
    synchronized (lock) {
      long[] pn = counters.get(key);
      return pn == null ? 0 : pn[0] - pn[1];
    }
  }

  /** Every request handled, in order. */
  List<Message> requests() {
    return List.copyOf(requests);
  }

  /** The requests of one type handled, in order. */
  <T extends Message> List<T> requests(Class<T> type) {
    List<T> out = new ArrayList<>();
    for (Message m : requests) {
      if (type.isInstance(m)) {
        out.add(type.cast(m));
      }
    }
    return out;
  }

  int watcherCount() {
    synchronized (lock) {
      return watchers.size();
    }
  }

  // ------------------------------------------------------------------ service

  @Override
  public void increment(IncrementRequest request, StreamObserver<CounterValue> out) {
    requests.add(request);
    long amount = request.hasAmount() ? request.getAmount() : 1;
    respond(out, () -> {
      checkKey("key", request.getKey());
      checkAmount(request.hasAmount(), amount);
      checkRequestId(request.getRequestId());
      return write(request.getRequestId(), request.toBuilder().clearConsistency().clearPriorNodes().clearFailoverResolution().build(),
          () -> valueOf(apply(Map.of(request.getKey(), new long[] {amount, 0})).get(0)));
    });
  }

  @Override
  public void decrement(DecrementRequest request, StreamObserver<CounterValue> out) {
    requests.add(request);
    long amount = request.hasAmount() ? request.getAmount() : 1;
    respond(out, () -> {
      checkKey("key", request.getKey());
      checkAmount(request.hasAmount(), amount);
      checkRequestId(request.getRequestId());
      return write(request.getRequestId(), request.toBuilder().clearConsistency().clearPriorNodes().clearFailoverResolution().build(),
          () -> valueOf(apply(Map.of(request.getKey(), new long[] {0, amount})).get(0)));
    });
  }

  @Override
  public void incrementMany(IncrementManyRequest request, StreamObserver<IncrementManyResponse> out) {
    requests.add(request);
    respond(out, () -> {
      checkBatch("items", request.getItemsCount());
      for (int i = 0; i < request.getItemsCount(); i++) {
        IncrementManyRequest.Item item = request.getItems(i);
        checkKey("items[" + i + "].key", item.getKey());
        if (item.hasAmount() && item.getAmount() == 0) {
          throw invalid("items[" + i + "].amount must not be 0");
        }
      }
      checkRequestId(request.getRequestId());
      return write(request.getRequestId(), request.toBuilder().clearConsistency().clearPriorNodes().clearFailoverResolution().build(), () -> {
        Map<String, long[]> changes = new LinkedHashMap<>();
        for (IncrementManyRequest.Item item : request.getItemsList()) {
          long amount = item.hasAmount() ? item.getAmount() : 1;
          long[] pn = changes.computeIfAbsent(item.getKey(), k -> new long[2]);
          try {
            if (amount > 0) {
              pn[0] = Math.addExact(pn[0], amount);
            } else {
              pn[1] = Math.addExact(pn[1], Math.negateExact(amount));
            }
          } catch (ArithmeticException e) {
            throw Status.OUT_OF_RANGE.withDescription(
                "items for key " + item.getKey() + " overflow 64 bits").asRuntimeException();
          }
        }
        List<String> keys = apply(changes);
        Map<String, CounterValue> after = new HashMap<>();
        for (String k : keys) {
          after.put(k, valueOf(k));
        }
        IncrementManyResponse.Builder reply = IncrementManyResponse.newBuilder();
        for (IncrementManyRequest.Item item : request.getItemsList()) {
          reply.addValues(after.get(item.getKey()));
        }
        return reply.build();
      });
    });
  }

  @Override
  public void get(GetRequest request, StreamObserver<CounterValue> out) {
    requests.add(request);
    respond(out, () -> {
      checkKey("key", request.getKey());
      synchronized (lock) {
        return valueOf(request.getKey());
      }
    });
  }

  @Override
  public void getMany(GetManyRequest request, StreamObserver<GetManyResponse> out) {
    requests.add(request);
    respond(out, () -> {
      checkBatch("keys", request.getKeysCount());
      for (int i = 0; i < request.getKeysCount(); i++) {
        checkKey("keys[" + i + "]", request.getKeys(i));
      }
      GetManyResponse.Builder reply = GetManyResponse.newBuilder();
      synchronized (lock) {
        for (String key : request.getKeysList()) {
          reply.addValues(valueOf(key));
        }
      }
      return reply.build();
    });
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<CounterValue> out) {
    requests.add(request);
    ServerCallStreamObserver<CounterValue> observer = (ServerCallStreamObserver<CounterValue>) out;
    try {
      checkBatch("keys", request.getKeysCount());
      for (int i = 0; i < request.getKeysCount(); i++) {
        checkKey("keys[" + i + "]", request.getKeys(i));
      }
    } catch (StatusRuntimeException e) {
      observer.onError(e);
      return;
    }
    Watcher watcher = new Watcher(List.copyOf(request.getKeysList()), observer);
    observer.setOnCancelHandler(() -> {
      synchronized (lock) {
        watchers.remove(watcher);
      }
    });
    synchronized (lock) {
      watchers.add(watcher);
      for (String key : watcher.keys()) {
        send(watcher, valueOf(key));
      }
    }
  }

  // ------------------------------------------------------------------ node behaviour

  private interface Handler<T> {
    T handle();
  }

  private static <T> void respond(StreamObserver<T> out, Handler<T> handler) {
    T reply;
    try {
      reply = handler.handle();
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    out.onNext(reply);
    out.onCompleted();
  }

  /** Runs a write once per request id: a repeat returns the first reply. */
  @SuppressWarnings("unchecked")
  private <T extends Message> T write(String requestId, Message fingerprint, Handler<T> apply) {
    synchronized (lock) {
      if (!requestId.isEmpty()) {
        Dedupe seen = dedupe.get(requestId);
        if (seen != null) {
          if (!seen.request().equals(fingerprint)) {
            throw invalid("request_id " + requestId + " was already used for a different request");
          }
          return (T) seen.reply();
        }
      }
      T reply = apply.handle();
      if (!requestId.isEmpty()) {
        dedupe.put(requestId, new Dedupe(fingerprint, reply));
      }
      return reply;
    }
  }

  /**
   * Applies (P, N) additions to several keys, all or none (OUT_OF_RANGE on overflow), notifies
   * watchers, and returns the keys changed. Caller holds the lock.
   */
  private List<String> apply(Map<String, long[]> changes) {
    Map<String, long[]> staged = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : changes.entrySet()) {
      long[] pn = counters.getOrDefault(e.getKey(), new long[2]);
      try {
        long p = Math.addExact(pn[0], e.getValue()[0]);
        long n = Math.addExact(pn[1], e.getValue()[1]);
        Math.subtractExact(p, n);
        staged.put(e.getKey(), new long[] {p, n});
      } catch (ArithmeticException overflow) {
        throw Status.OUT_OF_RANGE.withDescription("changing key " + e.getKey()
            + " would take its count outside 64 bits; nothing applied").asRuntimeException();
      }
    }
    Timestamp now = Timestamp.newBuilder().setSeconds(++clock).build();
    for (Map.Entry<String, long[]> e : staged.entrySet()) {
      counters.put(e.getKey(), e.getValue());
      updated.put(e.getKey(), now);
    }
    for (String key : staged.keySet()) {
      CounterValue v = valueOf(key);
      for (Watcher w : List.copyOf(watchers)) {
        if (w.keys().contains(key)) {
          send(w, v);
        }
      }
    }
    return new ArrayList<>(staged.keySet());
  }

  private CounterValue valueOf(String key) {
    long[] pn = counters.get(key);
    CounterValue.Builder b = CounterValue.newBuilder().setKey(key).setValue(pn == null ? 0 : pn[0] - pn[1]);
    Timestamp ts = updated.get(key);
    if (ts != null) {
      b.setUpdatedAt(ts);
    }
    return b.build();
  }

  private void send(Watcher w, CounterValue v) {
    try {
      if (!w.observer().isCancelled()) {
        w.observer().onNext(v);
      }
    } catch (RuntimeException e) {
      watchers.remove(w);
    }
  }

  private static void checkKey(String field, String key) {
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < 1 || bytes > 4096) {
      throw invalid(field + " must be 1..4096 bytes of UTF-8, got " + bytes);
    }
  }

  private static void checkAmount(boolean present, long amount) {
    if (present && amount < 1) {
      throw invalid("amount must be >= 1, got " + amount);
    }
  }

  private static void checkRequestId(String id) {
    int bytes = id.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > 128) {
      throw invalid("request_id must be 0..128 bytes, got " + bytes);
    }
  }

  private static void checkBatch(String field, int n) {
    if (n < 1 || n > 1000) {
      throw invalid(field + " must hold 1..1000 entries, got " + n);
    }
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
