package dev.tally.node.bench;

/**
 * The small adapter between the one load generator and a kind of server, so a comparison measures
 * servers rather than two different clients: every target is driven through these three calls by
 * the same loop, with the same keys, concurrency and timing.
 *
 * <p>Threads: calls are made from the generator's threads and from completion callbacks; a target
 * must not block in them. {@link Completion#done} runs on the target's I/O thread (gRPC with
 * {@code directExecutor}, Lettuce's event loop) and must not block either.
 *
 * <p>{@code lane} pins a caller to one connection ({@code lane % connections}), so a closed-loop
 * caller that issues its next call from the completion keeps using the event loop it is on.
 */
public interface LoadTarget extends AutoCloseable {

  /** Told once per call: {@code error} is null on success, else a short code (a gRPC status name, a Redis error). */
  @FunctionalInterface
  interface Completion {
    void done(String error);
  }

  /** {@code tally} or {@code redis}. */
  String kind();

  /** What is driven, for the report: addresses, connections, the command mapping. */
  String describe();

  /** Reads one counter (Tally Get; Redis GET). */
  void get(int lane, String key, Completion done);

  /** Adds 1 to one counter (Tally Increment with amount 1; Redis INCRBY key 1). */
  void increment(int lane, String key, Completion done);

  /** Adds 1 to every key, as one request (Tally IncrementMany; Redis one script call or a pipelined burst). */
  void incrementMany(int lane, String[] keys, Completion done);

  /** Closes every connection; waits briefly for them to go. */
  @Override
  void close();
}
