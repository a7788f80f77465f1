package dev.tally.client.internal;

import dev.tally.client.Consistency;
import dev.tally.client.RetryBudget;
import dev.tally.client.RetryListener;
import dev.tally.client.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Everything a client was built with, resolved and validated by the builder. Internal: not part of
 * the SDK's API.
 *
 * @param target where to connect
 * @param tls TLS settings, or null for plaintext
 * @param deadline the default overall deadline of a call
 * @param consistency the default consistency
 * @param retryPolicy how calls retry
 * @param retryBudget how many retries the client may make
 * @param endpointCoolDown how long a failed endpoint is skipped
 * @param coalescingWindow the write coalescing window, or null when off
 * @param meterRegistry a Micrometer MeterRegistry (typed Object so Micrometer stays optional), or null
 * @param callbackExecutor runs async completions and watch listeners; null for a client-owned pool
 * @param watchReconnectTimeout how long a watch may stay disconnected before it ends
 * @param keepAliveTime HTTP/2 keepalive ping interval, or null for none
 * @param failoverWrites whether a retry of a write that may have been applied may go to another
 *     node (with prior_nodes)
 * @param dedupeWindow the nodes' dedupe window; a write's retries end before it does
 * @param retryListener told of every retry, or null
 * @param channelFactory makes channels; null for the Netty default
 * @param ticker nanosecond clock for cool-downs, the retry budget and watch timeouts
 * @param token sent as {@code authorization: Bearer} on every call, or null
 */
public record ClientSettings(
    Target target,
    TlsSettings tls,
    Duration deadline,
    Consistency consistency,
    RetryPolicy retryPolicy,
    RetryBudget retryBudget,
    Duration endpointCoolDown,
    Duration coalescingWindow,
    Object meterRegistry,
    Executor callbackExecutor,
    Duration watchReconnectTimeout,
    Duration keepAliveTime,
    boolean failoverWrites,
    Duration dedupeWindow,
    RetryListener retryListener,
    ChannelFactory channelFactory,
    LongSupplier ticker,
    BearerToken token) {

  /** Checks that the required settings are present. */
  public ClientSettings {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    Objects.requireNonNull(retryBudget, "retryBudget");
    Objects.requireNonNull(endpointCoolDown, "endpointCoolDown");
    Objects.requireNonNull(watchReconnectTimeout, "watchReconnectTimeout");
    Objects.requireNonNull(dedupeWindow, "dedupeWindow");
    Objects.requireNonNull(ticker, "ticker");
  }
}
