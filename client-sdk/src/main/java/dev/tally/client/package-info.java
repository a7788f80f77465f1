/**
 * The Java client of Tally, a leaderless replicated counter cluster: exact counters over gRPC with
 * retries that never double count, failover between nodes and deadlines by default.
 *
 * <pre>{@code
 * try (TallyClient tally = TallyClient.builder()
 *     .endpoints("127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103")
 *     .build()) {
 *   tally.increment("likes:post-42");                            // +1, durable when it returns
 *   tally.decrement("stock:sku-7", 3);
 *   CounterValue views = tally.get("views:post-42", RequestOptions.consistency(Consistency.QUORUM));
 *   tally.incrementAsync("views:post-42").thenAccept(v -> render(v.value()));
 *
 *   try (WatchSubscription w = tally.watch(List.of("likes:post-42"), v -> render(v.value()))) {
 *     ...
 *   }
 * } catch (WriteOutcomeUnknownException e) {
 *   // the write may have been applied; retrying with e.requestId() is safe
 * }
 * }</pre>
 *
 * <p>Start at {@link dev.tally.client.TallyClient} (calls, and what happens on each kind of
 * failure) and {@link dev.tally.client.TallyClientBuilder} (settings and defaults). Everything in
 * {@code dev.tally.client.internal} is implementation and may change without notice.
 */
package dev.tally.client;
