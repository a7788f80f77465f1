package dev.tally.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir
  Path tmp;

  private static LoadedConfig load(Map<String, String> flags, Map<String, String> env) {
    return ConfigLoader.load(flags, env, () -> "host-a");
  }

  private Path yaml(String text) throws IOException {
    Path f = tmp.resolve("tally.yaml");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void load_onlyDataDir_givesDocumentedDefaults() {
    NodeConfig c = load(Map.of("data-dir", "/var/lib/tally"), Map.of()).config();

    assertThat(c.name()).isEqualTo("host-a");
    assertThat(c.dc()).isEqualTo("dc1");
    assertThat(c.clusterId()).isEqualTo("tally");
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.advertiseHost()).as("defaults to host").isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(7400);
    assertThat(c.peerPort()).isEqualTo(7401);
    assertThat(c.membershipPort()).isEqualTo(7402);
    assertThat(c.metricsPort()).isEqualTo(7403);
    assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/tally"));
    assertThat(c.seeds()).isEmpty();
    assertThat(c.durability()).isEqualTo(Durability.SYNC);
    assertThat(c.gossipInterval()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.antiEntropyInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.quorumTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.peerTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.failureTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.dedupeWindow()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.maxPendingWrites()).isEqualTo(100_000);
    assertThat(c.maxWatchStreams()).isEqualTo(1000);
  }

  @Test
  void load_sameKeyEverywhere_flagBeatsEnvBeatsFileBeatsDefault() throws IOException {
    Path file = yaml("data-dir: /from/file\nport: 1001\npeer-port: 1002\ndc: file-dc\nname: file-name\n");
    Map<String, String> env = Map.of("TALLY_CONFIG", file.toString(), "TALLY_PORT", "2001", "TALLY_PEER_PORT", "2002");
    Map<String, String> flags = Map.of("port", "3001");

    LoadedConfig loaded = load(flags, env);
    NodeConfig c = loaded.config();

    assertThat(c.port()).isEqualTo(3001);
    assertThat(c.peerPort()).isEqualTo(2002);
    assertThat(c.dc()).isEqualTo("file-dc");
    assertThat(c.dataDir()).isEqualTo(Path.of("/from/file"));
    assertThat(c.clusterId()).isEqualTo("tally");
    assertThat(loaded.sources().get(ConfigKey.PORT)).isEqualTo("flag --port");
    assertThat(loaded.sources().get(ConfigKey.PEER_PORT)).isEqualTo("env TALLY_PEER_PORT");
    assertThat(loaded.sources().get(ConfigKey.DC)).isEqualTo("file " + file);
    assertThat(loaded.sources().get(ConfigKey.CLUSTER_ID)).isEqualTo("default");
    assertThat(loaded.describe()).contains("port", "3001", "(flag --port)", "(env TALLY_PEER_PORT)");
  }

  @Test
  void load_configFlag_beatsConfigEnv() throws IOException {
    Path fromFlag = yaml("data-dir: /a\ndc: flag-file\n");
    Path fromEnv = tmp.resolve("other.yaml");
    Files.writeString(fromEnv, "data-dir: /b\ndc: env-file\n");

    NodeConfig c = load(Map.of("config", fromFlag.toString()), Map.of("TALLY_CONFIG", fromEnv.toString())).config();

    assertThat(c.dc()).isEqualTo("flag-file");
  }

  @Test
  void load_everyKeyFromFile_parsesEachType() throws IOException {
    Path file = yaml(String.join("\n",
        "name: n1", "dc: eu-west", "cluster-id: prod", "host: 0.0.0.0", "advertise-host: n1.example", "port: 9000",
        "peer-port: 9001", "metrics-port: 0", "data-dir: /data", "seeds: [10.0.0.6:9001, '[::1]:9001']",
        "durability: async", "gossip-interval: 20ms", "anti-entropy-interval: 5s", "quorum-timeout: 1s",
        "peer-timeout: 300ms", "heartbeat-interval: 100ms", "failure-timeout: 2s",
        "dedupe-window: 1h", "max-pending-writes: 500", "max-watch-streams: 7", "max-peer-message-bytes: 65536", ""));

    NodeConfig c = load(Map.of("config", file.toString()), Map.of()).config();

    assertThat(c.name()).isEqualTo("n1");
    assertThat(c.maxPeerMessageBytes()).isEqualTo(65536);
    assertThat(c.clusterId()).isEqualTo("prod");
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.advertiseHost()).isEqualTo("n1.example");
    assertThat(c.membershipPort()).isEqualTo(9002);
    assertThat(c.peerTimeout()).isEqualTo(Duration.ofMillis(300));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.failureTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.metricsPort()).isZero();
    assertThat(c.seeds()).containsExactly(new HostPort("10.0.0.6", 9001), new HostPort("::1", 9001));
    assertThat(c.durability()).isEqualTo(Durability.ASYNC);
    assertThat(c.gossipInterval()).isEqualTo(Duration.ofMillis(20));
    assertThat(c.dedupeWindow()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxPendingWrites()).isEqualTo(500);
    assertThat(c.maxWatchStreams()).isEqualTo(7);
  }

  @Test
  void load_seedsAsCommaList_fromEnv() {
    NodeConfig c = load(Map.of("data-dir", "/d"), Map.of("TALLY_SEEDS", "a:1, b:2")).config();

    assertThat(c.seeds()).containsExactly(new HostPort("a", 1), new HostPort("b", 2));
  }

  @Test
  void load_membershipPort_isAlwaysPeerPortPlusOne() {
    NodeConfig c = load(Map.of("data-dir", "/d", "peer-port", "8001"), Map.of()).config();

    assertThat(c.membershipPort()).isEqualTo(8002);
  }

  @Test
  void load_removedMembershipPort_failsSayingPeerPortPlusOneReplacesIt() throws IOException {
    Path file = yaml("data-dir: /d\nmembership-port: 9100\n");
    assertThatThrownBy(() -> load(Map.of("config", file.toString()), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'membership-port' in config file")
        .hasMessageContaining("membership always listens on peer-port + 1");
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d"), Map.of("TALLY_MEMBERSHIP_PORT", "9100")))
        .hasMessageContaining("environment variable TALLY_MEMBERSHIP_PORT: membership-port was removed");
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "membership-port", "9100"), Map.of()))
        .hasMessageContaining("flag --membership-port: membership-port was removed");
  }

  @Test
  void load_wildcardHost_needsAnAdvertiseHost() {
    for (String wildcard : List.of("0.0.0.0", "::")) {
      assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "host", wildcard), Map.of()))
          .as(wildcard)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("advertise-host is required when host is '" + wildcard + "'")
          .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("advertise-host"));
    }
    NodeConfig c = load(Map.of("data-dir", "/d", "host", "0.0.0.0", "advertise-host", "n1"), Map.of()).config();
    assertThat(c.advertiseHost()).isEqualTo("n1");
  }

  @Test
  void load_wildcardAdvertiseHost_isRefused() {
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "advertise-host", "0.0.0.0"), Map.of()))
        .hasMessageContaining("invalid advertise-host '0.0.0.0': must be an address peers and clients can reach")
        .hasMessageContaining("flag --advertise-host");
  }

  @Test
  void load_failureTimeoutBelowThreeHeartbeats_isRefused() {
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "heartbeat-interval", "1s", "failure-timeout", "2s"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("invalid failure-timeout '2s': must be at least 3 times heartbeat-interval (1s)");
  }

  @Test
  void load_unknownFileKey_isAnErrorNamingIt() throws IOException {
    Path file = yaml("data-dir: /d\ngossip-intreval: 10ms\n");

    assertThatThrownBy(() -> load(Map.of("config", file.toString()), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key 'gossip-intreval'")
        .hasMessageContaining(file.toString())
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("gossip-intreval"));
  }

  @Test
  void load_unknownTallyEnv_isAnErrorNamingIt() {
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d"), Map.of("TALLY_PROT", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown environment variable TALLY_PROT")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("TALLY_PROT"));
  }

  @Test
  void load_toolingEnvAndOtherEnv_areIgnored() {
    Map<String, String> env = new HashMap<>();
    env.put("TALLY_JAVA_OPTS", "-Xmx1g");
    env.put("TALLY_REQUIRE_DOCKER", "1");
    env.put("TALLY_HOME", "/opt/tally");
    env.put("TALLY_REPO", "/src/tally");
    env.put("PATH", "/usr/bin");
    env.put("HOSTNAME", "whatever");

    NodeConfig c = load(Map.of("data-dir", "/d"), env).config();

    assertThat(c.port()).isEqualTo(7400);
  }

  @Test
  void load_noDataDir_isAnErrorSayingItIsRequired() {
    assertThatThrownBy(() -> load(Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("data-dir is required")
        .hasMessageContaining("--data-dir")
        .hasMessageContaining("TALLY_DATA_DIR");
  }

  @Test
  void load_invalidValues_nameTheKeyAndSource() {
    record Case(String key, String value, String expected) {}
    List<Case> cases = List.of(
        new Case("port", "abc", "invalid port 'abc'"),
        new Case("port", "70000", "invalid port '70000'"),
        new Case("peer-port", "0", "invalid peer-port '0'"),
        new Case("metrics-port", "-1", "invalid metrics-port '-1'"),
        new Case("durability", "fast", "invalid durability 'fast': must be sync or async"),
        new Case("gossip-interval", "5 sec", "invalid gossip-interval '5 sec'"),
        new Case("anti-entropy-interval", "0s", "invalid anti-entropy-interval '0ms'"),
        new Case("quorum-timeout", "2", "invalid quorum-timeout '2'"),
        new Case("peer-timeout", "0ms", "invalid peer-timeout '0ms'"),
        new Case("heartbeat-interval", "fast", "invalid heartbeat-interval 'fast'"),
        new Case("failure-timeout", "-1s", "invalid failure-timeout '-1s'"),
        new Case("advertise-host", "a b", "invalid advertise-host 'a b'"),
        new Case("dedupe-window", "-1m", "invalid dedupe-window '-1m'"),
        new Case("dedupe-window", "721h", "invalid dedupe-window '721h': must be a duration from 1ms to 720h"),
        new Case("max-pending-writes", "0", "invalid max-pending-writes '0'"),
        new Case("max-watch-streams", "many", "invalid max-watch-streams 'many'"),
        new Case("max-peer-message-bytes", "1000", "invalid max-peer-message-bytes '1000': must be a whole number 16384..8388608"),
        new Case("max-peer-message-bytes", "16777216", "invalid max-peer-message-bytes '16777216'"),
        new Case("name", "bad name", "invalid name 'bad name'"),
        new Case("dc", "", "invalid dc ''"),
        new Case("cluster-id", "a/b", "invalid cluster-id 'a/b'"),
        new Case("host", "a b", "invalid host 'a b'"),
        new Case("seeds", "host-without-port", "invalid seeds entry"));
    for (Case c : cases) {
      assertThatThrownBy(() -> load(Map.of("data-dir", "/d", c.key(), c.value()), Map.of()))
          .as(c.key() + "=" + c.value())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(c.expected())
          .hasMessageContaining("flag --" + c.key())
          .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(c.key()));
    }
  }

  @Test
  void load_invalidEnvValue_namesTheVariable() {
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d"), Map.of("TALLY_PORT", "x")))
        .hasMessageContaining("invalid port 'x'")
        .hasMessageContaining("env TALLY_PORT");
  }

  @Test
  void load_portsClash_namesBothKeys() {
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "metrics-port", "7400"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("metrics-port 7400 is already used by port");
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "peer-port", "65535"), Map.of()))
        .hasMessageContaining("invalid peer-port '65535': must be a port number 1..65534 (membership uses peer-port + 1)")
        .hasMessageContaining("flag --peer-port");
    assertThatThrownBy(() -> load(Map.of("data-dir", "/d", "port", "7402"), Map.of()))
        .hasMessageContaining("the membership port (peer-port + 1) 7402 is already used by port")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("peer-port"));
  }

  @Test
  void load_badFiles_areErrorsNamingTheFile() throws IOException {
    Path missing = tmp.resolve("nope.yaml");
    assertThatThrownBy(() -> load(Map.of("config", missing.toString()), Map.of()))
        .hasMessageContaining("config file " + missing + " does not exist");

    Path list = yaml("- a\n- b\n");
    assertThatThrownBy(() -> load(Map.of("config", list.toString()), Map.of()))
        .hasMessageContaining("must be a YAML mapping");

    Path nested = yaml("data-dir: /d\nport: {a: 1}\n");
    assertThatThrownBy(() -> load(Map.of("config", nested.toString()), Map.of()))
        .hasMessageContaining("key 'port'").hasMessageContaining("must be a single value");

    Path empty = yaml("data-dir: /d\nport:\n");
    assertThatThrownBy(() -> load(Map.of("config", empty.toString()), Map.of()))
        .hasMessageContaining("key 'port'").hasMessageContaining("has no value");

    Path broken = yaml("data-dir: [unclosed\n");
    assertThatThrownBy(() -> load(Map.of("config", broken.toString()), Map.of()))
        .hasMessageContaining("is not valid YAML");
  }

  @Test
  void load_emptyFile_isAllDefaults() throws IOException {
    Path file = yaml("");

    NodeConfig c = load(Map.of("config", file.toString(), "data-dir", "/d"), Map.of()).config();

    assertThat(c.port()).isEqualTo(7400);
  }

  @Test
  void durations_parseAndFormat_roundTrip() {
    assertThat(Durations.parse("50ms")).isEqualTo(Duration.ofMillis(50));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(Durations.format(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThatThrownBy(() -> Durations.parse("1.5s")).hasMessageContaining("not a duration");
    assertThatThrownBy(() -> Durations.parse("10")).hasMessageContaining("not a duration");
  }

  @Test
  void configKey_envNames_areTallyUpperSnake() {
    assertThat(ConfigKey.PEER_PORT.envName()).isEqualTo("TALLY_PEER_PORT");
    assertThat(ConfigKey.ANTI_ENTROPY_INTERVAL.envName()).isEqualTo("TALLY_ANTI_ENTROPY_INTERVAL");
    assertThat(ConfigKey.DATA_DIR.flag()).isEqualTo("--data-dir");
  }
}
