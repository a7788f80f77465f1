package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.CounterValue;
import dev.tally.client.TallyException;
import dev.tally.client.WatchListener;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A watch listener that queues every event for the test thread to take in order. */
final class RecordingListener implements WatchListener {

  /** One listener call. */
  sealed interface Event permits Value, Connected, Disconnected, Failed {}

  record Value(CounterValue value) implements Event {}

  record Connected(String endpoint) implements Event {}

  record Disconnected(String endpoint, TallyException cause) implements Event {}

  record Failed(TallyException error) implements Event {}

  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  @Override
  public void onValue(CounterValue value) {
    events.add(new Value(value));
  }

  @Override
  public void onConnected(String endpoint) {
    events.add(new Connected(endpoint));
  }

  @Override
  public void onDisconnected(String endpoint, TallyException cause) {
    events.add(new Disconnected(endpoint, cause));
  }

  @Override
  public void onError(TallyException error) {
    events.add(new Failed(error));
  }

  /** The next event, waiting up to 20 s for it. */
  Event next() throws InterruptedException {
    Event e = events.poll(20, TimeUnit.SECONDS);
    assertThat(e).as("a watch event within 20 s").isNotNull();
    return e;
  }

  /** The next event, which must be of {@code type}. */
  <E extends Event> E next(Class<E> type) throws InterruptedException {
    Event e = next();
    assertThat(e).as("next watch event").isInstanceOf(type);
    return type.cast(e);
  }

  /** The next event, which must be a value of {@code key}; returns the value. */
  long nextValue(String key) throws InterruptedException {
    CounterValue v = next(Value.class).value();
    assertThat(v.key()).isEqualTo(key);
    return v.value();
  }
}
