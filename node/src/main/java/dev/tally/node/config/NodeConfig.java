package dev.tally.node.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One node's validated settings. Every constructor call validates, so a config that exists is a
 * config the node can run with; {@link ConfigLoader} builds it from file, environment and flags.
 * See {@link ConfigKey} for what each setting means.
 */
public record NodeConfig(
    String name,
    String dc,
    String clusterId,
    String host,
    String advertiseHost,
    int port,
    int peerPort,
    int metricsPort,
    TlsFiles tls,
    Path dataDir,
    List<HostPort> seeds,
    Durability durability,
    Path authTokens,
    String metricsHost,
    MetricsAuth metricsAuth,
    Duration gossipInterval,
    Duration antiEntropyInterval,
    Duration quorumTimeout,
    Duration peerTimeout,
    Duration heartbeatInterval,
    Duration failureTimeout,
    Duration dedupeWindow,
    FailoverResolution failoverResolution,
    Duration failoverResolveTimeout,
    int maxPendingWrites,
    int maxWatchStreams,
    int maxPeerMessageBytes,
    int maxPendingWriteBytes,
    int maxWatchStreamsPerConnection,
    int maxWatchKeysPerConnection,
    int maxWatchStreamsPerPrincipal,
    int maxWatchKeysPerPrincipal,
    int maxWatchPendingUpdates,
    int maxEntriesPerKey,
    int maxClientMessageBytes,
    int maxPeerInboundMessageBytes,
    int maxCallsPerConnection,
    Duration keepaliveTime,
    Duration keepaliveTimeout,
    Duration permitKeepaliveTime,
    Duration maxConnectionIdle,
    Duration handshakeTimeout,
    int httpPort,
    List<String> httpCorsOrigins,
    Duration httpSseHeartbeat) {

  private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
  private static final Pattern CORS_ORIGIN = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  static final int MAX_PENDING_WRITES_LIMIT = 10_000_000;
  static final int MAX_WATCH_STREAMS_LIMIT = 1_000_000;
  /** The engine's floor (ReplicaConfig.MIN_PEER_MESSAGE_BYTES): a few 4 KiB-key states must fit. */
  static final int MIN_PEER_MESSAGE_BYTES = 16 << 10;
  /** Half the node's 16 MiB inbound message limit (api.Limits), leaving room for a state larger than the cap. */
  static final int MAX_PEER_MESSAGE_BYTES_LIMIT = 8 << 20;
  /** Largest inbound message limit either port takes: 64 MiB. */
  static final int MAX_INBOUND_MESSAGE_BYTES_LIMIT = 64 << 20;
  /** max-entries-per-key stops below the peer input's per-message bound (PeerInput.MAX_ENTRIES). */
  static final int MAX_ENTRIES_PER_KEY_LIMIT = 65_536;

  /** @throws ConfigException naming the first invalid setting */
  public NodeConfig {
    requireMatches(ConfigKey.NAME, name, NODE_NAME, "1..253 letters, digits, '.', '_' or '-', starting with a letter or digit");
    requireMatches(ConfigKey.DC, dc, LABEL, "1..64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    requireMatches(ConfigKey.CLUSTER_ID, clusterId, LABEL, "1..64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    requireHost(ConfigKey.HOST, host);
    if (advertiseHost == null) {
      if (isWildcard(host)) {
        throw new ConfigException(ConfigKey.ADVERTISE_HOST.key(), "advertise-host is required when host is '" + host
            + "' (every interface): set it to the name or IP address peers and clients reach this node by");
      }
      advertiseHost = host;
    }
    requireHost(ConfigKey.ADVERTISE_HOST, advertiseHost);
    if (isWildcard(advertiseHost)) {
      throw invalid(ConfigKey.ADVERTISE_HOST, advertiseHost,
          "an address peers and clients can reach, not a wildcard such as 0.0.0.0 or ::");
    }
    requirePort(ConfigKey.PORT, port, 0);
    // The membership port is peer-port + 1, so peer-port stops one short of the last port.
    requireRange(ConfigKey.PEER_PORT, peerPort, 1, 65_534, "a port number 1..65534 (membership uses peer-port + 1)");
    requirePort(ConfigKey.METRICS_PORT, metricsPort, 0);
    requirePort(ConfigKey.HTTP_PORT, httpPort, 0);
    requireDistinctPorts(port, peerPort, metricsPort, httpPort);
    tls = tls == null ? TlsFiles.NONE : tls;
    if (dataDir == null || dataDir.toString().isBlank()) {
      throw new ConfigException(ConfigKey.DATA_DIR.key(),
          "data-dir is required (flag --data-dir, env TALLY_DATA_DIR or data-dir in the config file); "
              + "there is no default, so a node never writes counts to a temporary directory");
    }
    seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
    if (durability == null) {
      throw invalid(ConfigKey.DURABILITY, null, "sync or async");
    }
    if (authTokens != null && authTokens.toString().isBlank()) {
      authTokens = null;
    }
    requireHost(ConfigKey.METRICS_HOST, metricsHost);
    if (metricsAuth == null) {
      throw invalid(ConfigKey.METRICS_AUTH, null, "none or token");
    }
    if (metricsAuth == MetricsAuth.TOKEN && authTokens == null) {
      throw new ConfigException(ConfigKey.METRICS_AUTH.key(),
          "metrics-auth 'token' needs auth-tokens: the token file holds the admin tokens /metrics accepts");
    }
    requirePositive(ConfigKey.GOSSIP_INTERVAL, gossipInterval);
    requirePositive(ConfigKey.ANTI_ENTROPY_INTERVAL, antiEntropyInterval);
    requirePositive(ConfigKey.QUORUM_TIMEOUT, quorumTimeout);
    requirePositive(ConfigKey.PEER_TIMEOUT, peerTimeout);
    requirePositive(ConfigKey.HEARTBEAT_INTERVAL, heartbeatInterval);
    requirePositive(ConfigKey.FAILURE_TIMEOUT, failureTimeout);
    if (failureTimeout.compareTo(heartbeatInterval.multipliedBy(3)) < 0) {
      throw invalid(ConfigKey.FAILURE_TIMEOUT, Durations.format(failureTimeout), "at least 3 times heartbeat-interval ("
          + Durations.format(heartbeatInterval) + "), so that one late heartbeat does not declare a member dead");
    }
    requirePositive(ConfigKey.DEDUPE_WINDOW, dedupeWindow);
    if (failoverResolution == null) {
      throw invalid(ConfigKey.FAILOVER_RESOLUTION, null, "available or wait");
    }
    requirePositive(ConfigKey.FAILOVER_RESOLVE_TIMEOUT, failoverResolveTimeout);
    requireRange(ConfigKey.MAX_PENDING_WRITES, maxPendingWrites, 1, MAX_PENDING_WRITES_LIMIT);
    requireRange(ConfigKey.MAX_WATCH_STREAMS, maxWatchStreams, 1, MAX_WATCH_STREAMS_LIMIT);
    requireRange(ConfigKey.MAX_PEER_MESSAGE_BYTES, maxPeerMessageBytes, MIN_PEER_MESSAGE_BYTES,
        MAX_PEER_MESSAGE_BYTES_LIMIT);
    requireRange(ConfigKey.MAX_PENDING_WRITE_BYTES, maxPendingWriteBytes, 1 << 20, Integer.MAX_VALUE);
    requireRange(ConfigKey.MAX_WATCH_STREAMS_PER_CONNECTION, maxWatchStreamsPerConnection, 1, MAX_WATCH_STREAMS_LIMIT);
    requireRange(ConfigKey.MAX_WATCH_KEYS_PER_CONNECTION, maxWatchKeysPerConnection, 1, Integer.MAX_VALUE);
    requireRange(ConfigKey.MAX_WATCH_STREAMS_PER_PRINCIPAL, maxWatchStreamsPerPrincipal, 1, MAX_WATCH_STREAMS_LIMIT);
    requireRange(ConfigKey.MAX_WATCH_KEYS_PER_PRINCIPAL, maxWatchKeysPerPrincipal, 1, Integer.MAX_VALUE);
    requireRange(ConfigKey.MAX_WATCH_PENDING_UPDATES, maxWatchPendingUpdates, 1000, Integer.MAX_VALUE,
        "1000..2147483647 (a stream's first snapshot queues up to 1000 keys before anything is sent)");
    requireRange(ConfigKey.MAX_ENTRIES_PER_KEY, maxEntriesPerKey, 1, MAX_ENTRIES_PER_KEY_LIMIT);
    requireRange(ConfigKey.MAX_CLIENT_MESSAGE_BYTES, maxClientMessageBytes, 64 << 10, MAX_INBOUND_MESSAGE_BYTES_LIMIT);
    requireRange(ConfigKey.MAX_PEER_INBOUND_MESSAGE_BYTES, maxPeerInboundMessageBytes, 2 * maxPeerMessageBytes,
        MAX_INBOUND_MESSAGE_BYTES_LIMIT, "at least 2 x max-peer-message-bytes (" + 2L * maxPeerMessageBytes
            + ": a node sends one state larger than that cap alone) and at most " + MAX_INBOUND_MESSAGE_BYTES_LIMIT);
    requireRange(ConfigKey.MAX_CALLS_PER_CONNECTION, maxCallsPerConnection, 1, Integer.MAX_VALUE);
    requirePositive(ConfigKey.KEEPALIVE_TIME, keepaliveTime);
    requirePositive(ConfigKey.KEEPALIVE_TIMEOUT, keepaliveTimeout);
    requirePositive(ConfigKey.PERMIT_KEEPALIVE_TIME, permitKeepaliveTime);
    requirePositive(ConfigKey.MAX_CONNECTION_IDLE, maxConnectionIdle);
    httpCorsOrigins = List.copyOf(Objects.requireNonNull(httpCorsOrigins, "httpCorsOrigins"));
    for (String origin : httpCorsOrigins) {
      if (!origin.equals("*") && !CORS_ORIGIN.matcher(origin).matches()) {
        throw invalid(ConfigKey.HTTP_CORS_ORIGINS, origin,
            "a comma-separated list of origins such as https://app.example.com or http://localhost:3000 (scheme, host, optional port; no path), or *");
      }
    }
    if (httpCorsOrigins.contains("*") && httpCorsOrigins.size() > 1) {
      throw invalid(ConfigKey.HTTP_CORS_ORIGINS, String.join(",", httpCorsOrigins), "either * alone or a list of origins");
    }
    requirePositive(ConfigKey.HTTP_SSE_HEARTBEAT, httpSseHeartbeat);
    requirePositive(ConfigKey.HANDSHAKE_TIMEOUT, handshakeTimeout);
  }

  /** The membership (failure detector) port, TCP and UDP: always {@code peer-port + 1}. */
  public int membershipPort() {
    return peerPort + 1;
  }

  /** True for the addresses that bind every interface. */
  public static boolean isWildcard(String host) {
    String h = host.strip();
    return h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]") || h.equals("0:0:0:0:0:0:0:0");
  }

  /** The settings as {@code key -> value} in file syntax, in {@link ConfigKey} order. */
  public Map<ConfigKey, String> asText() {
    Map<ConfigKey, String> m = new java.util.EnumMap<>(ConfigKey.class);
    m.put(ConfigKey.NAME, name);
    m.put(ConfigKey.DC, dc);
    m.put(ConfigKey.CLUSTER_ID, clusterId);
    m.put(ConfigKey.HOST, host);
    m.put(ConfigKey.ADVERTISE_HOST, advertiseHost);
    m.put(ConfigKey.PORT, Integer.toString(port));
    m.put(ConfigKey.PEER_PORT, Integer.toString(peerPort));
    m.put(ConfigKey.METRICS_PORT, Integer.toString(metricsPort));
    m.put(ConfigKey.HTTP_PORT, Integer.toString(httpPort));
    m.put(ConfigKey.HTTP_CORS_ORIGINS, String.join(",", httpCorsOrigins));
    m.put(ConfigKey.HTTP_SSE_HEARTBEAT, Durations.format(httpSseHeartbeat));
    m.put(ConfigKey.AUTH_TOKENS, authTokens == null ? "" : authTokens.toString());
    m.put(ConfigKey.METRICS_HOST, metricsHost);
    m.put(ConfigKey.METRICS_AUTH, metricsAuth.configName());
    m.put(ConfigKey.DATA_DIR, dataDir.toString());
    m.put(ConfigKey.TLS_CERT, tls.cert() == null ? "" : tls.cert().toString());
    m.put(ConfigKey.TLS_KEY, tls.key() == null ? "" : tls.key().toString());
    m.put(ConfigKey.TLS_CA, tls.ca() == null ? "" : tls.ca().toString());
    m.put(ConfigKey.CLIENT_CA, tls.clientCa() == null ? "" : tls.clientCa().toString());
    m.put(ConfigKey.SEEDS, seeds.stream().map(HostPort::toString).collect(Collectors.joining(",")));
    m.put(ConfigKey.DURABILITY, durability.configName());
    m.put(ConfigKey.GOSSIP_INTERVAL, Durations.format(gossipInterval));
    m.put(ConfigKey.ANTI_ENTROPY_INTERVAL, Durations.format(antiEntropyInterval));
    m.put(ConfigKey.QUORUM_TIMEOUT, Durations.format(quorumTimeout));
    m.put(ConfigKey.PEER_TIMEOUT, Durations.format(peerTimeout));
    m.put(ConfigKey.HEARTBEAT_INTERVAL, Durations.format(heartbeatInterval));
    m.put(ConfigKey.FAILURE_TIMEOUT, Durations.format(failureTimeout));
    m.put(ConfigKey.DEDUPE_WINDOW, Durations.format(dedupeWindow));
    m.put(ConfigKey.FAILOVER_RESOLUTION, failoverResolution.configName());
    m.put(ConfigKey.FAILOVER_RESOLVE_TIMEOUT, Durations.format(failoverResolveTimeout));
    m.put(ConfigKey.MAX_PENDING_WRITES, Integer.toString(maxPendingWrites));
    m.put(ConfigKey.MAX_WATCH_STREAMS, Integer.toString(maxWatchStreams));
    m.put(ConfigKey.MAX_PEER_MESSAGE_BYTES, Integer.toString(maxPeerMessageBytes));
    m.put(ConfigKey.MAX_PENDING_WRITE_BYTES, Integer.toString(maxPendingWriteBytes));
    m.put(ConfigKey.MAX_WATCH_STREAMS_PER_CONNECTION, Integer.toString(maxWatchStreamsPerConnection));
    m.put(ConfigKey.MAX_WATCH_KEYS_PER_CONNECTION, Integer.toString(maxWatchKeysPerConnection));
    m.put(ConfigKey.MAX_WATCH_STREAMS_PER_PRINCIPAL, Integer.toString(maxWatchStreamsPerPrincipal));
    m.put(ConfigKey.MAX_WATCH_KEYS_PER_PRINCIPAL, Integer.toString(maxWatchKeysPerPrincipal));
    m.put(ConfigKey.MAX_WATCH_PENDING_UPDATES, Integer.toString(maxWatchPendingUpdates));
    m.put(ConfigKey.MAX_ENTRIES_PER_KEY, Integer.toString(maxEntriesPerKey));
    m.put(ConfigKey.MAX_CLIENT_MESSAGE_BYTES, Integer.toString(maxClientMessageBytes));
    m.put(ConfigKey.MAX_PEER_INBOUND_MESSAGE_BYTES, Integer.toString(maxPeerInboundMessageBytes));
    m.put(ConfigKey.MAX_CALLS_PER_CONNECTION, Integer.toString(maxCallsPerConnection));
    m.put(ConfigKey.KEEPALIVE_TIME, Durations.format(keepaliveTime));
    m.put(ConfigKey.KEEPALIVE_TIMEOUT, Durations.format(keepaliveTimeout));
    m.put(ConfigKey.PERMIT_KEEPALIVE_TIME, Durations.format(permitKeepaliveTime));
    m.put(ConfigKey.MAX_CONNECTION_IDLE, Durations.format(maxConnectionIdle));
    m.put(ConfigKey.HANDSHAKE_TIMEOUT, Durations.format(handshakeTimeout));
    return m;
  }

  private static void requireMatches(ConfigKey key, String value, Pattern pattern, String rule) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw invalid(key, value, rule);
    }
  }

  private static void requirePort(ConfigKey key, int port, int min) {
    if (port < min || port > 65_535) {
      throw invalid(key, Integer.toString(port), "a port number " + min + "..65535");
    }
  }

  private static void requireHost(ConfigKey key, String host) {
    if (host == null || host.isBlank() || host.length() > 253 || host.chars().anyMatch(Character::isWhitespace)) {
      throw invalid(key, host, "a host name or IP address without spaces");
    }
  }

  private static void requireDistinctPorts(int port, int peerPort, int metricsPort, int httpPort) {
    List<Map.Entry<String, Integer>> ports = new ArrayList<>();
    ports.add(Map.entry(ConfigKey.PORT.key(), port));
    ports.add(Map.entry(ConfigKey.PEER_PORT.key(), peerPort));
    ports.add(Map.entry("the membership port (peer-port + 1)", peerPort + 1));
    ports.add(Map.entry(ConfigKey.METRICS_PORT.key(), metricsPort));
    ports.add(Map.entry(ConfigKey.HTTP_PORT.key(), httpPort));
    Map<Integer, String> seen = new HashMap<>();
    for (Map.Entry<String, Integer> e : ports) {
      if (e.getValue() == 0) {
        continue;
      }
      String other = seen.putIfAbsent(e.getValue(), e.getKey());
      if (other != null) {
        // Name a real key: the membership port is derived, so a clash with it is peer-port's.
        String key = e.getKey().startsWith("the membership") ? ConfigKey.PEER_PORT.key() : e.getKey();
        throw new ConfigException(key, e.getKey() + " " + e.getValue() + " is already used by " + other
            + "; port, peer-port, peer-port + 1 (membership), metrics-port and http-port must all differ");
      }
    }
  }

  /** Longest duration accepted: far beyond any sensible setting, and safe from overflow when added to a clock. */
  static final Duration MAX_DURATION = Duration.ofDays(30);

  private static void requirePositive(ConfigKey key, Duration d) {
    if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
      throw invalid(key, d == null ? null : Durations.format(d), "a duration from 1ms to 720h such as 50ms, 2s or 10m");
    }
  }

  private static void requireRange(ConfigKey key, int value, int min, int max) {
    requireRange(key, value, min, max, "a whole number " + min + ".." + max);
  }

  private static void requireRange(ConfigKey key, int value, int min, int max, String rule) {
    if (value < min || value > max) {
      throw invalid(key, Integer.toString(value), rule);
    }
  }

  static ConfigException invalid(ConfigKey key, String value, String rule) {
    return new ConfigException(key.key(),
        "invalid " + key.key() + " " + (value == null ? "(missing)" : "'" + value + "'") + ": must be " + rule);
  }
}
