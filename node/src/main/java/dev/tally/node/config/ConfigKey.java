package dev.tally.node.config;

import java.util.Locale;
import java.util.Optional;

/**
 * Every node setting: its YAML key (kebab-case), flag ({@code --key}), environment variable
 * ({@code TALLY_} + upper snake case), what it means and its default. The command line's help and
 * docs/configuration.md are written from this list, so it is the one place a setting is described.
 */
public enum ConfigKey {
  NAME("name", "NAME",
      "Node name: unique in the cluster, stable for the node's life (it survives a wiped disk).",
      null, "the host name"),
  DC("dc", "DC", "Data-center label of this node.", "dc1", null),
  CLUSTER_ID("cluster-id", "ID",
      "Cluster id; the node refuses a data dir written for another cluster id.", "tally", null),
  HOST("host", "ADDRESS",
      "Address the node binds its client, HTTP, peer and membership ports to; 0.0.0.0 (or ::) binds every interface and then needs advertise-host.",
      "127.0.0.1", null),
  ADVERTISE_HOST("advertise-host", "ADDRESS",
      "Address peers and clients are told to use for this node (its name or IP as they reach it); required when host is 0.0.0.0 or ::.",
      null, "host"),
  PORT("port", "PORT",
      "Client gRPC port (CounterService, ClusterService, health, reflection); 0 picks a free port.",
      "7400", null),
  PEER_PORT("peer-port", "PORT",
      "Node-to-node gRPC port P (replication); membership (failure detector) uses P+1, TCP and UDP, so a node uses two peer ports.",
      "7401", null),
  METRICS_PORT("metrics-port", "PORT",
      "HTTP port serving /metrics (Prometheus text) and /health; 0 disables it.", "7403", null),
  HTTP_PORT("http-port", "PORT",
      "HTTP/JSON port: the REST gateway over CounterService and ClusterService (HTTP/1.1 and HTTP/2; HTTPS only when tls-cert is set), Server-Sent Events for Watch, /v1/openapi.json and /console; 0 disables it.",
      "7404", null),
  HTTP_CORS_ORIGINS("http-cors-origins", "ORIGIN[,ORIGIN...]|*",
      "Browser origins (scheme://host[:port]) allowed to call the HTTP port from another origin (CORS), or * for any; empty sends no CORS headers, so only same-origin pages (the console) can read answers.",
      "", null),
  HTTP_SSE_HEARTBEAT("http-sse-heartbeat", "DURATION",
      "How often an idle Server-Sent Events stream (GET /v1/counters:watch) gets a comment line, so proxies and browsers keep it open and a gone client is noticed.",
      "15s", null),
  AUTH_TOKENS("auth-tokens", "FILE",
      "YAML token file (name, sha256, roles, key-prefixes per entry; see docs/security.md): when set, every client call but health needs 'authorization: Bearer <token>' with a listed token and its role; reloaded on change and on SIGHUP.",
      null, "none (authentication off)"),
  METRICS_HOST("metrics-host", "ADDRESS",
      "Address the metrics endpoint binds to; 0.0.0.0 lets a Prometheus outside the host (or container) scrape it.",
      "127.0.0.1", null),
  METRICS_AUTH("metrics-auth", "none|token",
      "none: /metrics is open to whoever reaches metrics-host; token: /metrics needs 'Authorization: Bearer <token>' of an admin token from auth-tokens. /health is always open.",
      "none", null),
  DATA_DIR("data-dir", "DIR",
      "Directory holding this node's RocksDB data; created if missing, never a temporary directory.", null, "none, it is required"),
  TLS_CERT("tls-cert", "FILE",
      "PEM certificate chain of this node (leaf first). With tls-key, the client port serves TLS 1.2/1.3 only and refuses plaintext; reloaded when the file changes.",
      null, "none, TLS off"),
  TLS_KEY("tls-key", "FILE",
      "PEM private key of tls-cert (PKCS#8 or PKCS#1, not encrypted); keep it 0600.", null, "none, TLS off"),
  TLS_CA("tls-ca", "FILE",
      "PEM bundle of the CAs that sign the cluster's node certificates. When set, the peer and membership ports use mutual TLS: a node accepts a peer only with a certificate chained to it that names the peer (CN or DNS SAN = its name), and its own certificate must name it.",
      null, "none, peer ports plaintext"),
  CLIENT_CA("client-ca", "FILE",
      "PEM bundle of the CAs that sign client certificates. When set, the client port requires a client certificate chained to it (mutual TLS for clients).",
      null, "none, no client certificate asked"),
  SEEDS("seeds", "HOST:PORT[,HOST:PORT...]",
      "Peer endpoints (host:peer-port) used to join a cluster; empty starts alone.", "", null),
  DURABILITY("durability", "sync|async",
      "sync: fsync the write-ahead log before acknowledging; async: write it, let the OS flush.",
      "sync", null),
  GOSSIP_INTERVAL("gossip-interval", "DURATION", "How long a change waits at most before a delta push starts when none is in flight to a peer; under load pushes run back to back.", "50ms", null),
  ANTI_ENTROPY_INTERVAL("anti-entropy-interval", "DURATION",
      "How often a digest exchange with one peer starts.", "1s", null),
  QUORUM_TIMEOUT("quorum-timeout", "DURATION",
      "How long a QUORUM read or write waits for a majority of the data center.", "2s", null),
  PEER_TIMEOUT("peer-timeout", "DURATION", "Deadline of every node-to-node call.", "2s", null),
  HEARTBEAT_INTERVAL("heartbeat-interval", "DURATION", "How often membership sends a heartbeat to each member.", "500ms", null),
  FAILURE_TIMEOUT("failure-timeout", "DURATION",
      "A member silent this long is declared dead; at its first missed heartbeat it is suspect and no longer sent to.",
      "10s", null),
  DEDUPE_WINDOW("dedupe-window", "DURATION",
      "How long a request_id is remembered; a repeat inside it returns the first result.", "10m", null),
  FAILOVER_RESOLUTION("failover-resolution", "available|wait",
      "A retried write naming prior_nodes that cannot be asked in time: available applies it and resolves in the background (undoing it once if a prior node had applied it too); wait refuses it with UNAVAILABLE. A request's failover_resolution overrides it.",
      "available", null),
  FAILOVER_RESOLVE_TIMEOUT("failover-resolve-timeout", "DURATION",
      "Longest a retried write waits for its prior nodes' answers (never more than half of the call's deadline).",
      "1s", null),
  MAX_PENDING_WRITES("max-pending-writes", "N",
      "Writes queued or in flight before new ones are shed with RESOURCE_EXHAUSTED.", "100000", null),
  MAX_WATCH_STREAMS("max-watch-streams", "N",
      "Concurrent Watch streams before new ones are refused with RESOURCE_EXHAUSTED.", "1000", null),
  MAX_PENDING_WRITE_BYTES("max-pending-write-bytes", "BYTES",
      "Estimated memory of the writes queued or in flight before new ones are shed with RESOURCE_EXHAUSTED (besides max-pending-writes); 1048576..2147483647.",
      "67108864", null),
  MAX_WATCH_STREAMS_PER_CONNECTION("max-watch-streams-per-connection", "N",
      "Concurrent Watch streams of one client connection before its next one is refused with RESOURCE_EXHAUSTED.", "100", null),
  MAX_WATCH_KEYS_PER_CONNECTION("max-watch-keys-per-connection", "N",
      "Keys watched at once by the Watch streams of one client connection before its next stream is refused with RESOURCE_EXHAUSTED.",
      "10000", null),
  MAX_WATCH_STREAMS_PER_PRINCIPAL("max-watch-streams-per-principal", "N",
      "Concurrent Watch streams of one authenticated principal (auth-tokens) before its next one is refused with RESOURCE_EXHAUSTED; not applied while authentication is off (every client is then the same anonymous principal, and the per-connection limits apply).",
      "250", null),
  MAX_WATCH_KEYS_PER_PRINCIPAL("max-watch-keys-per-principal", "N",
      "Keys watched at once by one authenticated principal's Watch streams before its next stream is refused with RESOURCE_EXHAUSTED; not applied while authentication is off.",
      "50000", null),
  MAX_WATCH_PENDING_UPDATES("max-watch-pending-updates", "N",
      "Updates a Watch stream may fall behind (its client not reading, values coalesced per key) before the stream is ended with RESOURCE_EXHAUSTED.",
      "10000", null),
  MAX_ENTRIES_PER_KEY("max-entries-per-key", "N",
      "Most replica entries one counter may reach by merging peer input (one per replica id that ever wrote it, retired ids included); a merge past it is refused for that key, counted and logged.",
      "1024", null),
  MAX_CLIENT_MESSAGE_BYTES("max-client-message-bytes", "BYTES",
      "Largest message the client port accepts; a larger one is refused with RESOURCE_EXHAUSTED. 65536..67108864; the default fits a full batch of 1000 maximum-size keys.",
      "4194304", null),
  MAX_PEER_INBOUND_MESSAGE_BYTES("max-peer-inbound-message-bytes", "BYTES",
      "Largest message the peer port accepts (RESOURCE_EXHAUSTED beyond it); at least 2 x max-peer-message-bytes, at most 67108864.",
      "16777216", null),
  MAX_CALLS_PER_CONNECTION("max-calls-per-connection", "N",
      "Concurrent calls (HTTP/2 streams, Watch streams included) one connection may have open on the client or peer port; more wait for one to end.",
      "10000", null),
  KEEPALIVE_TIME("keepalive-time", "DURATION",
      "The node pings a client connection silent this long, and closes it when no answer comes within keepalive-timeout.", "1m", null),
  KEEPALIVE_TIMEOUT("keepalive-timeout", "DURATION",
      "How long the node waits for a keepalive ping's answer before it closes the connection.", "20s", null),
  PERMIT_KEEPALIVE_TIME("permit-keepalive-time", "DURATION",
      "Most frequent keepalive pings a client may send (the SDK's smallest keepAliveTime is 10s); a client pinging more often is disconnected.",
      "10s", null),
  MAX_CONNECTION_IDLE("max-connection-idle", "DURATION",
      "A client or peer connection with no call open for this long is closed (gracefully: clients reconnect on their next call).", "10m", null),
  HANDSHAKE_TIMEOUT("handshake-timeout", "DURATION",
      "A new client or peer connection that has not completed its HTTP/2 (and TLS) handshake within this long is closed.", "10s", null),
  MAX_PEER_MESSAGE_BYTES("max-peer-message-bytes", "BYTES",
      "Largest anti-entropy sync or QUORUM read message (request or reply) this node builds; more states go in further messages. 16384..8388608, and at most half of max-peer-inbound-message-bytes.",
      "1048576", null);

  private final String key;
  private final String paramLabel;
  private final String description;
  private final String defaultValue;
  private final String defaultText;

  ConfigKey(String key, String paramLabel, String description, String defaultValue, String defaultText) {
    this.key = key;
    this.paramLabel = paramLabel;
    this.description = description;
    this.defaultValue = defaultValue;
    this.defaultText = defaultText;
  }

  /** The YAML key, e.g. {@code peer-port}. */
  public String key() {
    return key;
  }

  /** The command-line flag, e.g. {@code --peer-port}. */
  public String flag() {
    return "--" + key;
  }

  /** The environment variable, e.g. {@code TALLY_PEER_PORT}. */
  public String envName() {
    return "TALLY_" + key.replace('-', '_').toUpperCase(Locale.ROOT);
  }

  public String paramLabel() {
    return paramLabel;
  }

  public String description() {
    return description;
  }

  /** The default as it would be written in the file; empty when computed or required. */
  public Optional<String> defaultValue() {
    return Optional.ofNullable(defaultValue);
  }

  /** The default for people: a literal value, or how it is computed. */
  public String defaultText() {
    if (defaultText != null) {
      return defaultText;
    }
    return defaultValue.isEmpty() ? "empty" : defaultValue;
  }

  /** The key with this YAML spelling. */
  public static Optional<ConfigKey> byKey(String key) {
    for (ConfigKey k : values()) {
      if (k.key.equals(key)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /** The key with this environment variable. */
  public static Optional<ConfigKey> byEnvName(String name) {
    for (ConfigKey k : values()) {
      if (k.envName().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
