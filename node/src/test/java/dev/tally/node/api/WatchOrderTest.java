package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterValue;
import dev.tally.gossip.crdt.PnCounter;
import dev.tally.gossip.store.KeyState;
import dev.tally.gossip.time.Scheduler;
import io.grpc.stub.ServerCallStreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A Watch stream never goes backwards. The store shows a write as soon as it is durable, and the
 * replica publishes durable writes a moment later, oldest first; a stream that registers in
 * between reads the newer state from the store, and then the publication of an older one arrived.
 */
class WatchOrderTest {
  private static final long A = 0xA;
  private static final long B = 0xB;

  @Test
  void olderStatePublishedAfterTheSnapshot_isNotSentAfterTheNewerOne() {
    AtomicReference<PnCounter> store = new AtomicReference<>(PnCounter.EMPTY.increment(A, 5, 1));
    WatchHub hub = new WatchHub(new InlineScheduler(), key -> store.get(), 10, new SimpleMeterRegistry());
    RecordingObserver observer = new RecordingObserver();

    hub.open(List.of("k"), observer); // snapshot: 5, already durable, not yet published
    hub.onChanged(List.of(new KeyState("k", PnCounter.EMPTY.increment(A, 4, 1)))); // the older write's publication
    hub.onChanged(List.of(new KeyState("k", PnCounter.EMPTY.increment(A, 5, 1))));
    hub.onChanged(List.of(new KeyState("k", PnCounter.EMPTY.increment(A, 6, 2))));

    assertThat(observer.values).containsExactly(5L, 6L);
  }

  @Test
  void concurrentStates_areJoinedSoTheStreamOnlyMovesForward() {
    AtomicReference<PnCounter> store = new AtomicReference<>(PnCounter.EMPTY.increment(A, 5, 1));
    WatchHub hub = new WatchHub(new InlineScheduler(), key -> store.get(), 10, new SimpleMeterRegistry());
    RecordingObserver observer = new RecordingObserver();

    hub.open(List.of("k"), observer);
    hub.onChanged(List.of(new KeyState("k", PnCounter.EMPTY.increment(B, 3, 2))));

    assertThat(observer.values).containsExactly(5L, 8L);
  }

  static final class InlineScheduler implements Scheduler {
    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean inThread() {
      return true;
    }
  }

  static final class RecordingObserver extends ServerCallStreamObserver<CounterValue> {
    final List<Long> values = new ArrayList<>();

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void onNext(CounterValue value) {
      values.add(value.getValue());
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
