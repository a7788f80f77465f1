package dev.tally.node.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.WatchRequest;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A Watch call under a test's control: values queue up, flow control is automatic or manual. */
public final class WatchClient implements ClientResponseObserver<WatchRequest, CounterValue> {
  private final LinkedBlockingQueue<CounterValue> values = new LinkedBlockingQueue<>();
  private final int initialRequest;
  private volatile ClientCallStreamObserver<WatchRequest> call;
  private volatile Throwable error;
  private volatile boolean completed;
  private volatile int received;

  private WatchClient(int initialRequest) {
    this.initialRequest = initialRequest;
  }

  /** Reads as fast as values come. */
  public static WatchClient open(Channel channel, List<String> keys) {
    return open(channel, keys, -1);
  }

  /** Asks for {@code initialRequest} values and then only for what {@link #request} asks (a slow reader). */
  public static WatchClient open(Channel channel, List<String> keys, int initialRequest) {
    WatchClient client = new WatchClient(initialRequest);
    CounterServiceGrpc.newStub(channel).watch(WatchRequest.newBuilder().addAllKeys(keys).build(), client);
    return client;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
    call = requestStream;
    if (initialRequest >= 0) {
      requestStream.disableAutoRequestWithInitial(initialRequest);
    }
  }

  @Override
  public void onNext(CounterValue value) {
    received++;
    values.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }

  public void request(int n) {
    call.request(n);
  }

  public void cancel() {
    call.cancel("test done", null);
  }

  /** The next value, waiting up to 10 s for it. */
  public CounterValue next() throws InterruptedException {
    CounterValue v = values.poll(10, TimeUnit.SECONDS);
    assertThat(v).as("a watch value within 10 s (error: %s)", error).isNotNull();
    return v;
  }

  /** A value already received and not yet taken, or null. */
  public CounterValue poll() {
    return values.poll();
  }

  public int received() {
    return received;
  }

  public Throwable error() {
    return error;
  }

  public boolean completed() {
    return completed;
  }
}
