package dev.tally.client;

import dev.tally.client.internal.ChannelFactory;
import dev.tally.client.internal.ClientSettings;
import dev.tally.client.internal.DefaultTallyClient;
import dev.tally.client.internal.Target;
import dev.tally.client.internal.BearerToken;
import dev.tally.client.internal.TlsSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Builds a {@link TallyClient}. Each setting is validated when it is set, and a setting given twice
 * is refused ("deadline was already set to PT2S"), so a configuration mistake fails at the line
 * that made it. Only the endpoints are required.
 *
 * <pre>{@code
 * TallyClient tally = TallyClient.builder()
 *     .target("dns:///tally.internal:7000")      // or .endpoints("a:7000", "b:7000")
 *     .useTls(Path.of("/etc/tally/ca.pem"))
 *     .deadline(Duration.ofSeconds(2))
 *     .consistency(Consistency.QUORUM)
 *     .coalesceWrites(Duration.ofMillis(2))
 *     .meterRegistry(registry)
 *     .build();
 * }</pre>
 *
 * <p>Not thread-safe; a builder makes any number of independent clients.
 */
public final class TallyClientBuilder {

  /** Default overall deadline of a call. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);
  /** Default time a failed endpoint is skipped. */
  public static final Duration DEFAULT_ENDPOINT_COOL_DOWN = Duration.ofSeconds(5);
  /** Default time a watch may stay without a stream before it ends with an error. */
  public static final Duration DEFAULT_WATCH_RECONNECT_TIMEOUT = Duration.ofMinutes(1);
  /** Longest coalescing window accepted. */
  public static final Duration MAX_COALESCING_WINDOW = Duration.ofSeconds(1);
  /** Default dedupe window of the nodes (their {@code dedupe-window} setting). */
  public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofMinutes(10);

  private Target target;
  private Boolean tls;
  private Path trustedCertificates;
  private Path clientCertificateChain;
  private Path clientPrivateKey;
  private String tlsServerName;
  private Duration deadline;
  private Consistency consistency;
  private RetryPolicy retryPolicy;
  private RetryBudget retryBudget;
  private Duration endpointCoolDown;
  private Duration coalescingWindow;
  private Object meterRegistry;
  private Executor callbackExecutor;
  private Duration watchReconnectTimeout;
  private Duration keepAliveTime;
  private Boolean failoverWrites;
  private Duration dedupeWindow;
  private RetryListener retryListener;
  private ChannelFactory channelFactory;
  private LongSupplier ticker;
  private String token;
  private boolean tokenOverPlaintext;

  TallyClientBuilder() {}

  /**
   * The nodes to call, each {@code host:port} (an IPv6 literal as {@code [addr]:port}). Any node
   * accepts every call; list several so that calls fail over.
   *
   * @throws IllegalArgumentException if the list is empty, an entry is not {@code host:port}, or
   *     an entry is listed twice
   * @throws IllegalStateException if the endpoints or a target were already set
   */
  public TallyClientBuilder endpoints(String... endpoints) {
    Objects.requireNonNull(endpoints, "endpoints");
    return endpoints(Arrays.asList(endpoints));
  }

  /** Like {@link #endpoints(String...)}. */
  public TallyClientBuilder endpoints(List<String> endpoints) {
    checkUnset("endpoints", target);
    target = Target.ofEndpoints(endpoints);
    return this;
  }

  /**
   * Where to connect, as a command line would take it: {@code host:port[,host:port...]}, or
   * {@code dns:///name:port} for every address the name resolves to (resolved at start and every
   * 30 seconds; each address is one endpoint).
   *
   * @throws IllegalArgumentException quoting the part that does not parse
   * @throws IllegalStateException if the endpoints or a target were already set
   */
  public TallyClientBuilder target(String target) {
    checkUnset("endpoints", this.target);
    this.target = Target.parse(target);
    return this;
  }

  /**
   * Talk to the nodes without TLS (the default).
   *
   * @throws IllegalStateException if transport security was already chosen
   */
  public TallyClientBuilder usePlaintext() {
    checkUnset("transport security", tls == null ? null : (tls ? "TLS" : "plaintext"));
    tls = false;
    return this;
  }

  /**
   * Talk to the nodes over TLS, trusting the system's certificate authorities.
   *
   * @throws IllegalStateException if transport security was already chosen
   */
  public TallyClientBuilder useTls() {
    checkUnset("transport security", tls == null ? null : (tls ? "TLS" : "plaintext"));
    tls = true;
    return this;
  }

  /**
   * Talk to the nodes over TLS, trusting only the certificate authorities in {@code
   * caCertificates} (PEM).
   *
   * @throws IllegalArgumentException if the file is not readable
   * @throws IllegalStateException if transport security was already chosen
   */
  public TallyClientBuilder useTls(Path caCertificates) {
    requireReadable("caCertificates", caCertificates);
    useTls();
    trustedCertificates = caCertificates;
    return this;
  }

  /**
   * Presents a client certificate (mutual TLS). Needs {@link #useTls()} or {@link #useTls(Path)}.
   *
   * @param certificateChain the client's certificate chain (PEM)
   * @param privateKey its private key (PEM, PKCS#8)
   * @throws IllegalArgumentException if a file is not readable
   * @throws IllegalStateException if a client certificate was already set
   */
  public TallyClientBuilder clientCertificate(Path certificateChain, Path privateKey) {
    checkUnset("clientCertificate", clientCertificateChain);
    requireReadable("certificateChain", certificateChain);
    requireReadable("privateKey", privateKey);
    clientCertificateChain = certificateChain;
    clientPrivateKey = privateKey;
    return this;
  }

  /**
   * The name to verify the nodes' certificates against (and to send as the authority), when it
   * differs from the endpoint host, for example when connecting by IP address. Needs TLS.
   *
   * @throws IllegalArgumentException if blank
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder tlsServerName(String serverName) {
    Objects.requireNonNull(serverName, "serverName");
    if (serverName.isBlank()) {
      throw new IllegalArgumentException("tlsServerName must not be blank");
    }
    checkUnset("tlsServerName", tlsServerName);
    tlsServerName = serverName;
    return this;
  }

  /**
   * Sends {@code authorization: Bearer <token>} on every call, for nodes with {@code auth-tokens}.
   * Over plaintext a token is readable by anyone on the path, so {@link #build()} refuses a token
   * without TLS unless every endpoint is on loopback or {@link #allowTokenOverPlaintext} is set.
   * A node that refuses it answers with {@link UnauthenticatedException} (unknown token) or
   * {@link PermissionDeniedException} (missing role, key outside its prefixes); neither is retried.
   *
   * @throws IllegalArgumentException if blank or not a single printable word
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder token(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("token must be printable ASCII without spaces");
    }
    if (this.token != null) {
      throw new IllegalStateException("token was already set");
    }
    this.token = token;
    return this;
  }

  /**
   * Lets {@link #token(String)} go over plaintext to hosts other than loopback (a trusted network,
   * or a TLS-terminating sidecar on the same host under another name). Off by default.
   */
  public TallyClientBuilder allowTokenOverPlaintext(boolean allowed) {
    tokenOverPlaintext = allowed;
    return this;
  }

  /**
   * The overall deadline of a call that does not set its own: all attempts and backoffs fit in it.
   * Default {@link #DEFAULT_DEADLINE}.
   *
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder deadline(Duration deadline) {
    checkUnset("deadline", this.deadline);
    this.deadline = requirePositive("deadline", deadline);
    return this;
  }

  /**
   * The consistency of a call that does not set its own. Default {@link Consistency#LOCAL}.
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder consistency(Consistency consistency) {
    Objects.requireNonNull(consistency, "consistency");
    checkUnset("consistency", this.consistency);
    this.consistency = consistency;
    return this;
  }

  /**
   * How calls retry transient failures. Default {@link RetryPolicy#defaults()}.
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder retryPolicy(RetryPolicy retryPolicy) {
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    checkUnset("retryPolicy", this.retryPolicy);
    this.retryPolicy = retryPolicy;
    return this;
  }

  /**
   * The cap on retries across all calls. Default {@link RetryBudget#defaults()}.
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder retryBudget(RetryBudget retryBudget) {
    Objects.requireNonNull(retryBudget, "retryBudget");
    checkUnset("retryBudget", this.retryBudget);
    this.retryBudget = retryBudget;
    return this;
  }

  /**
   * How long an endpoint that failed (transiently) is skipped while others are healthy; after it,
   * the endpoint gets calls again, and a success clears it at once. Default {@link
   * #DEFAULT_ENDPOINT_COOL_DOWN}.
   *
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder endpointCoolDown(Duration coolDown) {
    checkUnset("endpointCoolDown", endpointCoolDown);
    endpointCoolDown = requirePositive("endpointCoolDown", coolDown);
    return this;
  }

  /**
   * Turns on write coalescing (off by default): increments and decrements of all keys made within
   * {@code window} of the first go out as one IncrementMany, and each caller's call completes when
   * that request is acknowledged, with the key's value after it. This trades up to {@code window}
   * of latency for far fewer requests on hot keys. A failure of the coalesced request fails every
   * write in it. Writes with their own request id, and {@code incrementMany}, are never coalesced.
   *
   * @param window 1 microsecond to {@link #MAX_COALESCING_WINDOW}
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder coalesceWrites(Duration window) {
    checkUnset("coalesceWrites", coalescingWindow);
    requirePositive("coalesceWrites window", window);
    if (window.compareTo(Duration.ofNanos(1000)) < 0 || window.compareTo(MAX_COALESCING_WINDOW) > 0) {
      throw new IllegalArgumentException(
          "coalesceWrites window must be 1us.." + MAX_COALESCING_WINDOW + ", got " + window);
    }
    coalescingWindow = window;
    return this;
  }

  /**
   * Records client metrics (calls by method and outcome with latency, retries, failovers, retry
   * budget exhaustion, watch reconnects, coalescing) on {@code registry}. Micrometer is an
   * optional dependency: without this setting the client needs no Micrometer on the class path.
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder meterRegistry(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    checkUnset("meterRegistry", meterRegistry);
    meterRegistry = registry;
    return this;
  }

  /**
   * Runs the completions of the {@code ...Async} futures and the watch listeners. The caller keeps
   * ownership: closing the client does not shut it down. Default: a cached pool of daemon threads
   * that the client owns. Pass {@code Runnable::run} to complete on network threads (fastest; then
   * dependent stages and listeners must never block).
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder callbackExecutor(Executor executor) {
    Objects.requireNonNull(executor, "executor");
    checkUnset("callbackExecutor", callbackExecutor);
    callbackExecutor = executor;
    return this;
  }

  /**
   * How long a watch subscription keeps trying to re-subscribe, with backoff across all endpoints,
   * before it ends with {@link UnavailableException}. Default {@link
   * #DEFAULT_WATCH_RECONNECT_TIMEOUT}.
   *
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder watchReconnectTimeout(Duration timeout) {
    checkUnset("watchReconnectTimeout", watchReconnectTimeout);
    watchReconnectTimeout = requirePositive("watchReconnectTimeout", timeout);
    return this;
  }

  /**
   * Sends HTTP/2 keepalive pings this often while calls or watches are open, so that a silently
   * dead connection (a frozen node, a dropped NAT entry) is noticed within this time plus 20 s
   * rather than at the TCP timeout. Off by default, because a node rejects pings more frequent
   * than its permitted keepalive time (gRPC's default is 5 minutes) and then drops the connection.
   *
   * @param interval at least 10 seconds
   * @throws IllegalArgumentException if below 10 seconds
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder keepAliveTime(Duration interval) {
    checkUnset("keepAliveTime", keepAliveTime);
    requirePositive("keepAliveTime", interval);
    if (interval.compareTo(Duration.ofSeconds(10)) < 0) {
      throw new IllegalArgumentException("keepAliveTime must be >= PT10S, got " + interval);
    }
    keepAliveTime = interval;
    return this;
  }

  /**
   * Whether a write whose attempt may have been applied is retried on another node (on by
   * default). Such a retry keeps the request id and lists in {@code prior_nodes} every node an
   * earlier attempt may have reached (by the name each node sends in its {@code tally-node}
   * header, or {@code "*"} while the name is unknown); the node that gets it asks them before
   * applying, so the write counts once. A node that answers {@code ABORTED} because another node
   * is handling the request id is skipped for the one it names.
   *
   * <p>Turn it off for nodes that do not resolve prior nodes (before issue 12): then, once an
   * attempt may have been applied, the retries stay on that node, whose own dedupe recognises the
   * id, and an {@code ABORTED} answer ends the call with {@link WriteOutcomeUnknownException}.
   * Attempts that provably reached no node (connection refused, load shedding) fail over either
   * way.
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder failoverWrites(boolean enabled) {
    checkUnset("failoverWrites", failoverWrites);
    failoverWrites = enabled;
    return this;
  }

  /**
   * Same as {@link #failoverWrites}: the name it had when cross-node failover of writes was off by
   * default.
   *
   * @deprecated use {@link #failoverWrites(boolean)}; failover is now on by default
   * @throws IllegalStateException if failoverWrites was already set
   */
  @Deprecated
  public TallyClientBuilder clusterDedupesAcrossNodes(boolean enabled) {
    return failoverWrites(enabled);
  }

  /**
   * The nodes' dedupe window, their {@code dedupe-window} setting (default {@link
   * #DEFAULT_DEDUPE_WINDOW}): how long a node remembers a request id. A node that has forgotten an
   * id would apply a retry of it again, and a node resolving a retry that landed elsewhere trusts
   * answers only within half a window of it, so a write's attempts must all happen inside half the
   * window: the overall deadline of a write is capped at half of it (5 minutes by default), whatever
   * {@link #deadline} or {@link RequestOptions#withDeadline} asks for. A retry by hand with {@link
   * RequestOptions#withRequestId} must likewise come within the window of the first call.
   *
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder dedupeWindow(Duration window) {
    checkUnset("dedupeWindow", dedupeWindow);
    dedupeWindow = requirePositive("dedupeWindow", window);
    return this;
  }

  /**
   * Tells {@code listener} of every retry, just before it is sent: which attempt failed, how, where
   * the retry goes and with which prior nodes. Runs on the client's scheduler thread; it must be
   * quick and must not block (see {@link RetryListener}).
   *
   * @throws IllegalStateException if already set
   */
  public TallyClientBuilder retryListener(RetryListener listener) {
    Objects.requireNonNull(listener, "listener");
    checkUnset("retryListener", retryListener);
    retryListener = listener;
    return this;
  }

  /** Test seam: how channels are made (in-process transports in tests). */
  TallyClientBuilder channelFactory(ChannelFactory factory) {
    Objects.requireNonNull(factory, "channelFactory");
    checkUnset("channelFactory", channelFactory);
    channelFactory = factory;
    return this;
  }

  /** Test seam: the nanosecond clock of cool-downs, the retry budget and watch timeouts. */
  TallyClientBuilder ticker(LongSupplier ticker) {
    Objects.requireNonNull(ticker, "ticker");
    checkUnset("ticker", this.ticker);
    this.ticker = ticker;
    return this;
  }

  /**
   * Builds the client. Channels connect lazily, on the first call, so this succeeds even when no
   * node is up yet.
   *
   * @throws IllegalStateException if no endpoints were set, or a TLS-only setting was given
   *     without TLS
   * @throws IllegalArgumentException if the TLS files cannot be loaded
   */
  public TallyClient build() {
    if (target == null) {
      throw new IllegalStateException(
          "no endpoints: call endpoints(\"host:port\", ...) or target(\"dns:///name:port\")");
    }
    boolean useTls = Boolean.TRUE.equals(tls);
    if (!useTls && clientCertificateChain != null) {
      throw new IllegalStateException("clientCertificate needs useTls() or useTls(caCertificates)");
    }
    if (!useTls && tlsServerName != null) {
      throw new IllegalStateException("tlsServerName needs useTls() or useTls(caCertificates)");
    }
    if (token != null && !useTls && !tokenOverPlaintext) {
      for (String host : hosts(target)) {
        if (!isLoopback(host)) {
          throw new IllegalStateException("a token over plaintext to " + host + " could be read on the network:"
              + " use useTls(...), or allowTokenOverPlaintext(true) if the network is trusted");
        }
      }
    }
    TlsSettings tlsSettings = useTls
        ? new TlsSettings(trustedCertificates, clientCertificateChain, clientPrivateKey, tlsServerName)
        : null;
    ClientSettings settings = new ClientSettings(
        target,
        tlsSettings,
        deadline != null ? deadline : DEFAULT_DEADLINE,
        consistency != null ? consistency : Consistency.LOCAL,
        retryPolicy != null ? retryPolicy : RetryPolicy.defaults(),
        retryBudget != null ? retryBudget : RetryBudget.defaults(),
        endpointCoolDown != null ? endpointCoolDown : DEFAULT_ENDPOINT_COOL_DOWN,
        coalescingWindow,
        meterRegistry,
        callbackExecutor,
        watchReconnectTimeout != null ? watchReconnectTimeout : DEFAULT_WATCH_RECONNECT_TIMEOUT,
        keepAliveTime,
        !Boolean.FALSE.equals(failoverWrites),
        dedupeWindow != null ? dedupeWindow : DEFAULT_DEDUPE_WINDOW,
        retryListener,
        channelFactory,
        ticker != null ? ticker : System::nanoTime,
        token == null ? null : new BearerToken(token));
    return DefaultTallyClient.create(settings);
  }

  private static java.util.List<String> hosts(Target t) {
    java.util.List<String> out = new java.util.ArrayList<>();
    t.endpoints().forEach(e -> out.add(e.host()));
    if (t.dnsName() != null) {
      out.add(t.dnsName().host());
    }
    return out;
  }

  private static boolean isLoopback(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.equalsIgnoreCase("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1");
  }

  private static void checkUnset(String name, Object current) {
    if (current != null) {
      throw new IllegalStateException(name + " was already set to " + current);
    }
  }

  private static Duration requirePositive(String name, Duration value) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
    return value;
  }

  private static void requireReadable(String name, Path file) {
    Objects.requireNonNull(file, name);
    if (!Files.isReadable(file) || Files.isDirectory(file)) {
      throw new IllegalArgumentException(name + " must be a readable file, got " + file);
    }
  }
}
