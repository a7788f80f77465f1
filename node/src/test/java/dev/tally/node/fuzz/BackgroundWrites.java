package dev.tally.node.fuzz;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.gossip.digest.DigestTree;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;

/**
 * Valid increments sent while the fuzz runs, so that bad input meets a busy write pipeline (a
 * refused request in the same group commit as good ones must not take them down). Every request id
 * is sent twice, concurrently; each key must end at exactly the number of ids answered OK.
 *
 * <p>The keys all lie under one top-level digest node that no fuzz key uses ({@link #digestNode});
 * the fuzz's state oracle ignores that node. Threads: {@link #fire} from the test thread, answers
 * on gRPC's threads (the maps and counters are concurrent).
 */
final class BackgroundWrites {
  private static final int MAX_IN_FLIGHT = 32;

  final int digestNode;
  private final List<String> keys = new ArrayList<>();
  private final CounterServiceGrpc.CounterServiceStub stub;
  private final Map<String, Set<String>> okIds = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private int sent;

  BackgroundWrites(Channel channel, Collection<String> avoid) {
    stub = CounterServiceGrpc.newStub(channel);
    Set<Integer> used = ConcurrentHashMap.newKeySet();
    avoid.forEach(k -> used.add(DigestTree.leafOf(k, 1)));
    int node = 0;
    while (used.contains(node)) {
      node++;
    }
    digestNode = node;
    for (int i = 0; keys.size() < 4; i++) {
      if (DigestTree.leafOf("bg:" + i, 1) == node) {
        keys.add("bg:" + i);
      }
    }
  }

  /** Sends the next write (the second of its request id, or the first of a new one) unless many are in flight. */
  void fire() {
    if (inFlight.get() >= MAX_IN_FLIGHT) {
      return;
    }
    int id = sent / 2;
    sent++;
    String key = keys.get(id % keys.size());
    String requestId = "bg-" + id;
    inFlight.incrementAndGet();
    stub.withDeadlineAfter(RawCalls.DEADLINE_SECONDS, TimeUnit.SECONDS).increment(
        IncrementRequest.newBuilder().setKey(key).setRequestId(requestId).build(), new StreamObserver<>() {
          @Override
          public void onNext(CounterValue value) {
            okIds.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(requestId);
          }

          @Override
          public void onError(Throwable t) {
            Status s = Status.fromThrowable(t);
            // Load shedding is documented; any other refusal of a valid write is not.
            if (s.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
              problems.add("background increment " + requestId + " of " + key + " failed: " + s);
            }
            inFlight.decrementAndGet();
          }

          @Override
          public void onCompleted() {
            inFlight.decrementAndGet();
          }
        });
  }

  /** Waits for the writes in flight, then checks every key counts each id answered OK exactly once. */
  void check(ToLongFunction<String> read, List<String> out) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RawCalls.DEADLINE_SECONDS + 5);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10); // waits for answers the deadline bounds; not a convergence wait
    }
    if (inFlight.get() > 0) {
      out.add(inFlight.get() + " background increments never answered");
    }
    out.addAll(problems);
    for (String key : keys) {
      long want = okIds.getOrDefault(key, Set.of()).size();
      long got = read.applyAsLong(key);
      if (got != want) {
        out.add("background key " + key + " is " + got + " after " + want + " request ids answered OK (each sent twice)");
      }
    }
  }

  int sent() {
    return sent;
  }
}
