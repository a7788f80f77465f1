package dev.tally.client;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * A client of a Tally cluster: exact counters over gRPC, with retries that never double count,
 * failover between nodes and a deadline on every call. Thread-safe; make one per application and
 * share it. Close it to release its connections and threads.
 *
 * <pre>{@code
 * try (TallyClient tally = TallyClient.builder()
 *     .endpoints("10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000")
 *     .build()) {
 *   CounterValue likes = tally.increment("likes:post-42");
 *   long views = tally.get("views:post-42").value();
 * }
 * }</pre>
 *
 * <h2>What happens on failure</h2>
 *
 * <ul>
 *   <li>Input the node would refuse (empty or oversized key, amount below 1, batch over 1000) is
 *       refused before sending, with {@link InvalidArgumentException}.
 *   <li>{@code INVALID_ARGUMENT}, {@code OUT_OF_RANGE}, {@code FAILED_PRECONDITION} and other
 *       definite answers are never retried; they surface as {@link InvalidArgumentException},
 *       {@link CounterOverflowException}, {@link FailedPreconditionException} or {@link
 *       TallyException}, with the node's message.
 *   <li>{@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED} of one attempt, {@code RESOURCE_EXHAUSTED}
 *       and connection loss are retried per the {@link RetryPolicy} (by default 4 attempts,
 *       jittered exponential backoff from 25 ms to 1 s, 2 s per attempt) on another healthy
 *       endpoint, within the call's overall deadline (default 5 s) and the client's {@link
 *       RetryBudget}. Reads may go to any endpoint. Writes carry one request id across all
 *       attempts and fail over too: a retry on another node lists in {@code prior_nodes} the
 *       nodes earlier attempts may have reached, and that node asks them before applying, so the
 *       write counts once (see {@link TallyClientBuilder#failoverWrites}). {@code ABORTED} from a
 *       node (another node handles the request id) sends the retry to the node it names. A
 *       write's retries end before the nodes' dedupe window ({@link
 *       TallyClientBuilder#dedupeWindow}).
 *   <li>When the retries run out: {@link UnavailableException} if nothing can have been applied,
 *       {@link WriteOutcomeUnknownException} (with the request id to retry with) if a write may
 *       have been applied.
 * </ul>
 *
 * <h2>Threads</h2>
 *
 * Blocking methods wait on the caller's thread. Futures of the {@code ...Async} methods complete,
 * and watch listeners run, on the callback executor ({@link TallyClientBuilder#callbackExecutor};
 * by default a pool the client owns), never on a network thread, so dependent stages may block.
 * Do not call {@link #close()} from such a callback.
 */
public interface TallyClient extends AutoCloseable {

  /** A builder for a client; at least the endpoints (or a target) must be set. */
  static TallyClientBuilder builder() {
    return new TallyClientBuilder();
  }

  // ---------------------------------------------------------------- blocking writes

  /** Adds 1 to {@code key}; see {@link #increment(String, long, RequestOptions)}. */
  default CounterValue increment(String key) {
    return increment(key, 1, RequestOptions.defaults());
  }

  /** Adds {@code amount} to {@code key}; see {@link #increment(String, long, RequestOptions)}. */
  default CounterValue increment(String key, long amount) {
    return increment(key, amount, RequestOptions.defaults());
  }

  /**
   * Adds {@code amount} to {@code key} and returns the counter's value on the node once the change
   * is durable there (and, with {@link Consistency#QUORUM}, on a majority of the data center).
   * With write coalescing on, the value is the one after the coalesced request, which may include
   * other callers' changes.
   *
   * @param amount at least 1
   * @throws InvalidArgumentException for an invalid key or amount
   * @throws CounterOverflowException if the counter would leave 64 bits (nothing applied)
   * @throws WriteOutcomeUnknownException if the write may or may not have been applied
   * @throws UnavailableException if no node could be reached (nothing applied)
   * @throws IllegalStateException if the client is closed
   */
  CounterValue increment(String key, long amount, RequestOptions options);

  /** Subtracts 1 from {@code key}; see {@link #decrement(String, long, RequestOptions)}. */
  default CounterValue decrement(String key) {
    return decrement(key, 1, RequestOptions.defaults());
  }

  /** Subtracts {@code amount}; see {@link #decrement(String, long, RequestOptions)}. */
  default CounterValue decrement(String key, long amount) {
    return decrement(key, amount, RequestOptions.defaults());
  }

  /**
   * Subtracts {@code amount} from {@code key} (values may go negative); otherwise like {@link
   * #increment(String, long, RequestOptions)}.
   *
   * @param amount at least 1
   */
  CounterValue decrement(String key, long amount, RequestOptions options);

  /** Applies every change atomically on one node; see {@link #incrementMany(List, RequestOptions)}. */
  default List<CounterValue> incrementMany(List<CounterChange> changes) {
    return incrementMany(changes, RequestOptions.defaults());
  }

  /**
   * Applies up to 1000 signed changes atomically on one node (all or none) under one request id,
   * and returns each item's key with its value after the whole batch, in item order. Never
   * coalesced with other writes.
   *
   * @throws InvalidArgumentException for an empty or oversized batch, an invalid key or a 0 amount
   * @throws CounterOverflowException if any counter would leave 64 bits (nothing applied)
   * @throws WriteOutcomeUnknownException if the batch may or may not have been applied
   */
  List<CounterValue> incrementMany(List<CounterChange> changes, RequestOptions options);

  // ---------------------------------------------------------------- blocking reads

  /** Reads {@code key}; see {@link #get(String, RequestOptions)}. */
  default CounterValue get(String key) {
    return get(key, RequestOptions.defaults());
  }

  /**
   * Reads one counter. A key never written reads as 0 with a null {@link CounterValue#updatedAt()}.
   *
   * @throws InvalidArgumentException for an invalid key
   * @throws UnavailableException if no node answered in time
   */
  CounterValue get(String key, RequestOptions options);

  /** Reads several counters; see {@link #getMany(List, RequestOptions)}. */
  default List<CounterValue> getMany(List<String> keys) {
    return getMany(keys, RequestOptions.defaults());
  }

  /**
   * Reads up to 1000 counters in one call; values come back in the order of {@code keys}.
   *
   * @throws InvalidArgumentException for an empty or oversized list or an invalid key
   */
  List<CounterValue> getMany(List<String> keys, RequestOptions options);

  /** The cluster as a node sees it; see {@link #clusterStatus(RequestOptions)}. */
  default ClusterStatus clusterStatus() {
    return clusterStatus(RequestOptions.defaults());
  }

  /** The cluster's members and their health as one (healthy) node sees them. */
  ClusterStatus clusterStatus(RequestOptions options);

  // ---------------------------------------------------------------- asynchronous

  /** {@link #increment(String)} without blocking. */
  default CompletableFuture<CounterValue> incrementAsync(String key) {
    return incrementAsync(key, 1, RequestOptions.defaults());
  }

  /** {@link #increment(String, long)} without blocking. */
  default CompletableFuture<CounterValue> incrementAsync(String key, long amount) {
    return incrementAsync(key, amount, RequestOptions.defaults());
  }

  /**
   * {@link #increment(String, long, RequestOptions)} without blocking: the future fails with the
   * exceptions that method throws (bad input fails it at once, without sending). Cancelling the
   * future cancels the call (the write may still have been applied).
   */
  CompletableFuture<CounterValue> incrementAsync(String key, long amount, RequestOptions options);

  /** {@link #decrement(String)} without blocking. */
  default CompletableFuture<CounterValue> decrementAsync(String key) {
    return decrementAsync(key, 1, RequestOptions.defaults());
  }

  /** {@link #decrement(String, long)} without blocking. */
  default CompletableFuture<CounterValue> decrementAsync(String key, long amount) {
    return decrementAsync(key, amount, RequestOptions.defaults());
  }

  /** {@link #decrement(String, long, RequestOptions)} without blocking. */
  CompletableFuture<CounterValue> decrementAsync(String key, long amount, RequestOptions options);

  /** {@link #incrementMany(List)} without blocking. */
  default CompletableFuture<List<CounterValue>> incrementManyAsync(List<CounterChange> changes) {
    return incrementManyAsync(changes, RequestOptions.defaults());
  }

  /** {@link #incrementMany(List, RequestOptions)} without blocking. */
  CompletableFuture<List<CounterValue>> incrementManyAsync(
      List<CounterChange> changes, RequestOptions options);

  /** {@link #get(String)} without blocking. */
  default CompletableFuture<CounterValue> getAsync(String key) {
    return getAsync(key, RequestOptions.defaults());
  }

  /** {@link #get(String, RequestOptions)} without blocking. */
  CompletableFuture<CounterValue> getAsync(String key, RequestOptions options);

  /** {@link #getMany(List)} without blocking. */
  default CompletableFuture<List<CounterValue>> getManyAsync(List<String> keys) {
    return getManyAsync(keys, RequestOptions.defaults());
  }

  /** {@link #getMany(List, RequestOptions)} without blocking. */
  CompletableFuture<List<CounterValue>> getManyAsync(List<String> keys, RequestOptions options);

  /** {@link #clusterStatus(RequestOptions)} without blocking. */
  CompletableFuture<ClusterStatus> clusterStatusAsync(RequestOptions options);

  // ---------------------------------------------------------------- watch

  /**
   * Streams the values of up to 1000 keys to {@code listener}: first the current value of each,
   * then every change (a node may conflate rapid changes to a key, but the latest value is always
   * delivered), whether written on that node or replicated to it. When the node goes away (stream
   * error, {@code UNAVAILABLE}, connection loss) the subscription re-subscribes on another endpoint
   * with backoff, and the new stream starts with the current values again. The listener learns of
   * every (re)connection and of a terminal error ({@link WatchListener}).
   *
   * @param keys the keys to watch (duplicates are ignored)
   * @throws InvalidArgumentException for an empty or oversized key set or an invalid key
   * @throws IllegalStateException if the client is closed
   */
  WatchSubscription watch(Collection<String> keys, WatchListener listener);

  /**
   * {@link #watch} as a {@link Flow.Publisher}: each subscriber gets its own watch. While a
   * subscriber has no demand, values wait conflated per key (the latest value of each key), so
   * memory stays bounded by the key count and the latest value is always delivered. A terminal
   * error arrives as {@code onError}; the publisher never completes on its own; cancelling the
   * subscription closes the watch. (Reconnections are invisible here; use {@link #watch} to see
   * them.)
   *
   * @throws InvalidArgumentException for an empty or oversized key set or an invalid key
   */
  Flow.Publisher<CounterValue> watchPublisher(Collection<String> keys);

  /**
   * Closes the client: refuses new calls, ends watch subscriptions (without calling their
   * listeners), sends writes waiting in the coalescing window, waits up to the default deadline
   * for running calls (which may still retry), then cancels what is left (writes among them fail
   * with {@link WriteOutcomeUnknownException}) and releases connections and threads. Idempotent.
   */
  @Override
  void close();
}
