package dev.tally.node.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Builds the {@link NodeConfig} from, highest precedence first: command-line flags, {@code TALLY_*}
 * environment variables, the YAML config file ({@code --config FILE} or {@code TALLY_CONFIG}), and
 * defaults. Unknown file keys and unknown {@code TALLY_*} variables are errors naming them, except
 * the tooling variables in {@link #TOOLING_ENV}, which configure the launcher and tests rather than
 * the node.
 */
public final class ConfigLoader {

  /** The flag (without dashes) and environment variable naming the YAML file. */
  public static final String CONFIG_FLAG = "config";

  public static final String CONFIG_ENV = "TALLY_CONFIG";

  /** {@code TALLY_*} variables that are not node settings and so are not errors. */
  public static final Set<String> TOOLING_ENV =
      Set.of(CONFIG_ENV, "TALLY_JAVA_OPTS", "TALLY_REQUIRE_DOCKER", "TALLY_REQUIRE_BROWSER", "TALLY_HOME", "TALLY_REPO");

  /** Keys that existed once, with what replaced them, so an old config fails with advice. */
  static final Map<String, String> REMOVED_KEYS = Map.of(
      "membership-port", "membership-port was removed: membership always listens on peer-port + 1 (TCP and UDP), "
          + "so that a seed given as host:peer-port also tells its membership address; delete the setting");

  private ConfigLoader() {}

  /** Loads with the machine's host name as the default node name. */
  public static LoadedConfig load(Map<String, String> flags, Map<String, String> env) {
    return load(flags, env, ConfigLoader::hostName);
  }

  /**
   * @param flags flag values by key without dashes ({@code "peer-port" -> "7401"}), including
   *     {@code "config"} for the file; only flags that were given
   * @param env the process environment (only {@code TALLY_*} entries are read)
   * @param hostName supplies the default node name
   * @throws ConfigException naming the offending key or variable
   */
  public static LoadedConfig load(Map<String, String> flags, Map<String, String> env, Supplier<String> hostName) {
    Map<ConfigKey, String> raw = new EnumMap<>(ConfigKey.class);
    Map<ConfigKey, String> sources = new EnumMap<>(ConfigKey.class);

    Optional<Path> file = configFile(flags, env);
    if (file.isPresent()) {
      readFile(file.get()).forEach((k, v) -> {
        raw.put(k, v);
        sources.put(k, "file " + file.get());
      });
    }
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith("TALLY_") || TOOLING_ENV.contains(name)) {
        continue;
      }
      String removed = removedKey(name.substring("TALLY_".length()).toLowerCase(Locale.ROOT).replace('_', '-'));
      if (removed != null) {
        throw new ConfigException(name, "environment variable " + name + ": " + removed);
      }
      ConfigKey key = ConfigKey.byEnvName(name).orElseThrow(() -> new ConfigException(name,
          "unknown environment variable " + name + ": not a tally setting (settings: " + envNames()
              + "; tooling variables: " + new TreeSet<>(TOOLING_ENV) + ")"));
      raw.put(key, e.getValue());
      sources.put(key, "env " + name);
    }
    for (Map.Entry<String, String> e : flags.entrySet()) {
      if (e.getKey().equals(CONFIG_FLAG)) {
        continue;
      }
      if (removedKey(e.getKey()) != null) {
        throw new ConfigException(e.getKey(), "flag --" + e.getKey() + ": " + removedKey(e.getKey()));
      }
      ConfigKey key = ConfigKey.byKey(e.getKey()).orElseThrow(() -> new ConfigException(e.getKey(),
          "unknown flag --" + e.getKey()));
      raw.put(key, e.getValue());
      sources.put(key, "flag " + key.flag());
    }
    for (ConfigKey key : ConfigKey.values()) {
      sources.putIfAbsent(key, "default");
    }

    Parser p = new Parser(raw);
    try {
      NodeConfig config = new NodeConfig(
          raw.containsKey(ConfigKey.NAME) ? p.text(ConfigKey.NAME) : hostName.get(),
          p.text(ConfigKey.DC),
          p.text(ConfigKey.CLUSTER_ID),
          p.text(ConfigKey.HOST),
          p.text(ConfigKey.ADVERTISE_HOST),
          p.port(ConfigKey.PORT),
          p.port(ConfigKey.PEER_PORT),
          p.port(ConfigKey.METRICS_PORT),
          new TlsFiles(p.path(ConfigKey.TLS_CERT), p.path(ConfigKey.TLS_KEY), p.path(ConfigKey.TLS_CA),
              p.path(ConfigKey.CLIENT_CA)),
          p.path(ConfigKey.DATA_DIR),
          p.seeds(ConfigKey.SEEDS),
          p.durability(ConfigKey.DURABILITY),
          p.path(ConfigKey.AUTH_TOKENS),
          p.text(ConfigKey.METRICS_HOST),
          p.metricsAuth(ConfigKey.METRICS_AUTH),
          p.duration(ConfigKey.GOSSIP_INTERVAL),
          p.duration(ConfigKey.ANTI_ENTROPY_INTERVAL),
          p.duration(ConfigKey.QUORUM_TIMEOUT),
          p.duration(ConfigKey.PEER_TIMEOUT),
          p.duration(ConfigKey.HEARTBEAT_INTERVAL),
          p.duration(ConfigKey.FAILURE_TIMEOUT),
          p.duration(ConfigKey.DEDUPE_WINDOW),
          p.failoverResolution(ConfigKey.FAILOVER_RESOLUTION),
          p.duration(ConfigKey.FAILOVER_RESOLVE_TIMEOUT),
          p.integer(ConfigKey.MAX_PENDING_WRITES),
          p.integer(ConfigKey.MAX_WATCH_STREAMS),
          p.integer(ConfigKey.MAX_PEER_MESSAGE_BYTES),
          p.integer(ConfigKey.MAX_PENDING_WRITE_BYTES),
          p.integer(ConfigKey.MAX_WATCH_STREAMS_PER_CONNECTION),
          p.integer(ConfigKey.MAX_WATCH_KEYS_PER_CONNECTION),
          p.integer(ConfigKey.MAX_WATCH_STREAMS_PER_PRINCIPAL),
          p.integer(ConfigKey.MAX_WATCH_KEYS_PER_PRINCIPAL),
          p.integer(ConfigKey.MAX_WATCH_PENDING_UPDATES),
          p.integer(ConfigKey.MAX_ENTRIES_PER_KEY),
          p.integer(ConfigKey.MAX_CLIENT_MESSAGE_BYTES),
          p.integer(ConfigKey.MAX_PEER_INBOUND_MESSAGE_BYTES),
          p.integer(ConfigKey.MAX_CALLS_PER_CONNECTION),
          p.duration(ConfigKey.KEEPALIVE_TIME),
          p.duration(ConfigKey.KEEPALIVE_TIMEOUT),
          p.duration(ConfigKey.PERMIT_KEEPALIVE_TIME),
          p.duration(ConfigKey.MAX_CONNECTION_IDLE),
          p.duration(ConfigKey.HANDSHAKE_TIMEOUT),
          p.port(ConfigKey.HTTP_PORT),
          p.list(ConfigKey.HTTP_CORS_ORIGINS),
          p.duration(ConfigKey.HTTP_SSE_HEARTBEAT));
      return new LoadedConfig(config, sources, file);
    } catch (ConfigException e) {
      // Add where the offending value came from, so the operator knows which layer to fix.
      Optional<ConfigKey> key = ConfigKey.byKey(e.key());
      if (key.isEmpty() || !raw.containsKey(key.get()) && key.get() == ConfigKey.DATA_DIR) {
        throw e;
      }
      String source = raw.containsKey(key.get()) ? sources.get(key.get()) : "default: " + key.get().defaultText();
      throw new ConfigException(e.key(), e.getMessage() + " (from " + source + ")");
    }
  }

  private static Optional<Path> configFile(Map<String, String> flags, Map<String, String> env) {
    String text = flags.containsKey(CONFIG_FLAG) ? flags.get(CONFIG_FLAG) : env.get(CONFIG_ENV);
    String source = flags.containsKey(CONFIG_FLAG) ? "--config" : CONFIG_ENV;
    if (text == null) {
      return Optional.empty();
    }
    if (text.isBlank()) {
      throw new ConfigException(CONFIG_FLAG, source + " is empty; give the path of a YAML config file");
    }
    try {
      return Optional.of(Path.of(text));
    } catch (InvalidPathException e) {
      throw new ConfigException(CONFIG_FLAG, source + " '" + text + "' is not a valid path: " + e.getReason());
    }
  }

  /** The file's settings as text, keyed and checked; lists (for seeds) are joined with commas. */
  static Map<ConfigKey, String> readFile(Path path) {
    Object doc;
    try (InputStream in = Files.newInputStream(path)) {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    } catch (NoSuchFileException e) {
      throw new ConfigException(CONFIG_FLAG, "config file " + path + " does not exist");
    } catch (IOException e) {
      throw new ConfigException(CONFIG_FLAG, "cannot read config file " + path + ": " + e.getMessage());
    } catch (YAMLException e) {
      throw new ConfigException(CONFIG_FLAG, "config file " + path + " is not valid YAML: " + e.getMessage());
    }
    Map<ConfigKey, String> out = new LinkedHashMap<>();
    if (doc == null) {
      return out;
    }
    if (!(doc instanceof Map<?, ?> map)) {
      throw new ConfigException(CONFIG_FLAG, "config file " + path + " must be a YAML mapping of key: value");
    }
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String name = String.valueOf(e.getKey());
      if (removedKey(name) != null) {
        throw new ConfigException(name, "key '" + name + "' in config file " + path + ": " + removedKey(name));
      }
      ConfigKey key = ConfigKey.byKey(name).orElseThrow(() -> new ConfigException(name,
          "unknown key '" + name + "' in config file " + path + " (known keys: " + keyNames() + ")"));
      Object v = e.getValue();
      if (v == null) {
        throw new ConfigException(name, "key '" + name + "' in config file " + path + " has no value");
      }
      if (v instanceof List<?> list && key == ConfigKey.SEEDS) {
        out.put(key, list.stream().map(String::valueOf).collect(Collectors.joining(",")));
      } else if (v instanceof Map<?, ?> || v instanceof List<?>) {
        throw new ConfigException(name, "key '" + name + "' in config file " + path + " must be a single value");
      } else {
        out.put(key, String.valueOf(v));
      }
    }
    return out;
  }

  private static String removedKey(String key) {
    return REMOVED_KEYS.get(key);
  }

  private static String keyNames() {
    return Arrays.stream(ConfigKey.values()).map(ConfigKey::key).collect(Collectors.joining(", "));
  }

  private static String envNames() {
    return Arrays.stream(ConfigKey.values()).map(ConfigKey::envName).collect(Collectors.joining(", "));
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** Turns raw text into typed values, naming key and source on failure. */
  private static final class Parser {
    private final Map<ConfigKey, String> raw;

    Parser(Map<ConfigKey, String> raw) {
      this.raw = raw;
    }

    String text(ConfigKey key) {
      String v = raw.containsKey(key) ? raw.get(key) : key.defaultValue().orElse(null);
      return v == null ? null : v.strip();
    }

    int port(ConfigKey key) {
      String v = text(key);
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw fail(key, v, "a port number");
      }
    }

    int integer(ConfigKey key) {
      String v = text(key);
      try {
        return Integer.parseInt(v.replace("_", ""));
      } catch (NumberFormatException e) {
        throw fail(key, v, "a whole number");
      }
    }

    Duration duration(ConfigKey key) {
      String v = text(key);
      try {
        return Durations.parse(v);
      } catch (IllegalArgumentException e) {
        throw fail(key, v, "a duration such as 50ms, 2s, 10m or 1h");
      }
    }

    Durability durability(ConfigKey key) {
      String v = text(key);
      try {
        return Durability.valueOf(v.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw fail(key, v, "sync or async");
      }
    }

    MetricsAuth metricsAuth(ConfigKey key) {
      String v = text(key);
      for (MetricsAuth a : MetricsAuth.values()) {
        if (a.configName().equals(v == null ? null : v.toLowerCase(Locale.ROOT))) {
          return a;
        }
      }
      throw fail(key, v, "none or token");
    }

    FailoverResolution failoverResolution(ConfigKey key) {
      String v = text(key);
      for (FailoverResolution r : FailoverResolution.values()) {
        if (r.configName().equals(v == null ? null : v.strip().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
      throw fail(key, v, "available or wait");
    }

    Path path(ConfigKey key) {
      String v = text(key);
      if (v == null || v.isEmpty()) {
        return null;
      }
      try {
        return Path.of(v);
      } catch (InvalidPathException e) {
        throw fail(key, v, "a valid path");
      }
    }

    /** A comma-separated list (a YAML list is joined with commas when read), blanks dropped. */
    List<String> list(ConfigKey key) {
      String v = text(key);
      List<String> out = new ArrayList<>();
      for (String part : (v == null ? "" : v).split(",")) {
        if (!part.isBlank()) {
          out.add(part.strip());
        }
      }
      return out;
    }

    List<HostPort> seeds(ConfigKey key) {
      String v = text(key);
      List<HostPort> out = new ArrayList<>();
      for (String part : v.split(",")) {
        if (part.isBlank()) {
          continue;
        }
        try {
          out.add(HostPort.parse(part));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(key.key(),
              "invalid " + key.key() + " entry: " + e.getMessage() + "; write host:peer-port[,host:peer-port...]");
        }
      }
      return out;
    }

    private ConfigException fail(ConfigKey key, String value, String rule) {
      return new ConfigException(key.key(), "invalid " + key.key() + " '" + value + "': must be " + rule);
    }
  }
}
