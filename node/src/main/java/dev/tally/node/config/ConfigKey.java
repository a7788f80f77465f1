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
      "Address the node binds its client, peer and membership ports to; 0.0.0.0 (or ::) binds every interface and then needs advertise-host.",
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
  MAX_PEER_MESSAGE_BYTES("max-peer-message-bytes", "BYTES",
      "Largest anti-entropy sync or QUORUM read message (request or reply) this node builds; more states go in further messages. 16384..8388608 (half the 16 MiB inbound limit).",
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
