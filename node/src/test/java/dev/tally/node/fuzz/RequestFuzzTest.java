package dev.tally.node.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.digest.DigestTree;
import dev.tally.node.TallyNode;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.DigestRequest;
import dev.tally.peer.v1.DigestResponse;
import dev.tally.peer.v1.NodeRef;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Fuzzes every public request (CounterService, ClusterService, Health) and every peer request
 * (PeerService) of a real node (n1 of a two-node cluster on loopback) with raw bytes sent to the real method names, so the
 * node's own parsing runs: (a) random bytes, (b) serialized valid requests mutated on the wire (bit
 * flips, truncation, fields duplicated, removed or repeated thousands of times, huge and overlong
 * varints, wrong wire types, lying lengths, invalid UTF-8, deep nesting; see {@link WireMutator}),
 * (c) well-formed requests that break a rule (keys empty or too long, amount 0 or negative,
 * replica id 0, entries repeated, values up to 2^64-1, unknown enum values, absurd repeated counts;
 * see {@link Requests#semantic}) and (d) valid requests, so that state moves and the fuzz meets
 * counters near their limits. Peer calls also go out without the cluster-id header and with
 * another cluster's; one call in 20 is sent gzip-compressed. {@link OversizeInputTest} covers what
 * this does not make: messages past the inbound limit, compressed or not.
 *
 * <p>Oracles, after every call:
 * <ul>
 *   <li>the status code is one of those documented for the RPC ({@link Rpc}): never UNKNOWN or
 *       INTERNAL, and exactly FAILED_PRECONDITION for a peer call of no or another cluster;
 *   <li>a refused call changed no counter: the digest tree's 64 top-level hashes (XOR of every
 *       key's state below them, so a complete fingerprint of every counter) are unchanged;
 *   <li>an accepted call changed only counters it names (a push of a well-formed state is
 *       legitimate peer input and may move them): every top-level digest node that changed holds a
 *       named key; reads, digests, claims and resolves change none;
 *   <li>client writes follow the model: OK without request_id is applied exactly once (before +
 *       amount, as the answer says), OK with one is applied once or not at all (a repeat), a
 *       refusal applies nothing; the one documented exception is a QUORUM write refused with
 *       UNAVAILABLE or DEADLINE_EXCEEDED "applied locally";
 *   <li>valid increments sent alongside ({@link BackgroundWrites}, each request id twice) count
 *       each id answered OK exactly once: bad input does not disturb a busy write pipeline
 *       ({@code -Dtally.fuzz.background=false} turns them off);
 *   <li>what n1 accepted replicates: at the end n2 (which nobody fuzzed) converges to n1;
 *   <li>no crash: every 200 calls and at the end the node is SERVING and reads a canary counter no
 *       call named, unchanged; nothing was logged at ERROR (logback) or SEVERE (grpc's JUL).
 * </ul>
 *
 * <p>Budget: {@code -Dtally.fuzz.cases=N} (default 2000, about 15 s here), {@code
 * -Dtally.fuzz.seed=S} (default 1; {@code random} picks one and prints it). Case i depends only on
 * the seed and i (and the node's replica id, which some valid pushes use), so {@code
 * -Dtally.fuzz.case=I} replays one case on a fresh node; {@code -Dtally.fuzz.verbose=true} prints
 * every case. A failure prints seed, case, RPC, how the bytes were made and their hex. A longer
 * campaign:
 * <pre>
 * mvn -B -q -pl node -am test -Dtest=RequestFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtally.fuzz.cases=200000 -Dtally.fuzz.seed=random
 * </pre>
 */
class RequestFuzzTest {
  private static final String CLUSTER = "fuzz-cluster";
  private static final String CANARY = "canary:not-named-by-any-case";
  private static final long CANARY_VALUE = 7;

  @TempDir
  Path dir;

  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  private InProcessCluster cluster;
  private TallyNode node;
  private ManagedChannel client;
  private ManagedChannel peerRaw;
  private ManagedChannel otherPeerRaw;
  private Channel otherPeer;
  private Channel peer;
  private Channel peerNoHeader;
  private Channel peerOtherCluster;
  private final ConcurrentLinkedQueue<String> errorLogs = new ConcurrentLinkedQueue<>();
  private AppenderBase<ILoggingEvent> appender;
  private BackgroundWrites background;
  private java.util.logging.Handler julHandler;

  @BeforeEach
  void start() {
    // n1 is fuzzed; n2 is a real peer that replicates whatever n1 accepted.
    cluster = clusters.start(dir, new InProcessCluster.Spec().nodes(2, "dc1").set("cluster-id", CLUSTER)
        .set("quorum-timeout", "500ms"));
    cluster.awaitMembership();
    node = cluster.node("n1");
    client = cluster.channel("n1");
    peerRaw = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext()
        .maxInboundMessageSize(32 << 20).build();
    peer = ClientInterceptors.intercept(peerRaw, ClusterIdInterceptors.client(CLUSTER, "fz-peer"));
    otherPeerRaw = NettyChannelBuilder.forAddress("127.0.0.1", cluster.node("n2").peerPort()).usePlaintext().build();
    otherPeer = ClientInterceptors.intercept(otherPeerRaw, ClusterIdInterceptors.client(CLUSTER, "fz-peer"));
    peerNoHeader = peerRaw;
    peerOtherCluster = ClientInterceptors.intercept(peerRaw, ClusterIdInterceptors.client("other-cluster", "fz-peer"));
    appender = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        if (e.getLevel().isGreaterOrEqual(Level.ERROR)) {
          errorLogs.add(e.getLoggerName() + ": " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? "" : " (" + e.getThrowableProxy().getClassName() + ": "
                  + e.getThrowableProxy().getMessage() + ")"));
        }
      }
    };
    appender.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
    julHandler = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
          errorLogs.add(r.getLoggerName() + ": " + r.getMessage()
              + (r.getThrown() == null ? "" : " (" + r.getThrown() + ")"));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger.getLogger("").addHandler(julHandler);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
    java.util.logging.Logger.getLogger("").removeHandler(julHandler);
    TestNodes.shutdown(peerRaw);
    TestNodes.shutdown(otherPeerRaw);
  }

  // ---------------------------------------------------------------- the campaign

  @Test
  void fuzz_everyPublicAndPeerRpc_documentedCodesOnly_noStateChangeFromRefusedInput_noCrash()
      throws InterruptedException {
    String seedProperty = System.getProperty("tally.fuzz.seed", "1");
    long seed = seedProperty.equals("random") ? new java.security.SecureRandom().nextLong() : Long.parseLong(seedProperty);
    int cases = Integer.getInteger("tally.fuzz.cases", 2000);
    String only = System.getProperty("tally.fuzz.case");
    boolean verbose = Boolean.getBoolean("tally.fuzz.verbose");
    System.out.println("RequestFuzzTest SEED=" + seed + " cases=" + cases + (only == null ? "" : " case=" + only)
        + " (replay: -Dtally.fuzz.seed=" + seed + " [-Dtally.fuzz.case=I])");

    write(CANARY, CANARY_VALUE);
    Requests requests = new Requests(node.config().name(), node.replicaId(), cluster.node("n2").replicaId());
    Map<Rpc, Map<Status.Code, Integer>> seen = new EnumMap<>(Rpc.class);
    List<String> failures = new ArrayList<>();
    List<String> fuzzKeys = new ArrayList<>(Requests.KEYS);
    fuzzKeys.add(CANARY);
    background = Boolean.parseBoolean(System.getProperty("tally.fuzz.background", "true"))
        ? new BackgroundWrites(client, fuzzKeys) : null;
    long[] digest = digest();
    long started = System.nanoTime();
    int first = only == null ? 0 : Integer.parseInt(only);
    int last = only == null ? cases : first + 1;
    for (int i = first; i < last && failures.size() < 10; i++) {
      Case c = generate(seed, i, requests);
      if (verbose || only != null) {
        System.out.println(c.describe());
      }
      List<String> problems = new ArrayList<>();
      if (background != null) {
        background.fire();
      }
      long[] after = run(c, digest, problems, seen);
      digest = after;
      if ((i + 1) % 200 == 0 || i == last - 1) {
        checkAlive(problems);
        digest = digest();
      }
      if (!problems.isEmpty()) {
        failures.add(c.describe() + "\n    " + String.join("\n    ", problems));
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.println("RequestFuzzTest SEED=" + seed + ": " + (last - first) + " cases in " + millis + " ms; codes: "
        + seen);
    if (background != null) {
      List<String> problems = new ArrayList<>();
      background.check(k -> TestNodes.blocking(client).get(GetRequest.newBuilder().setKey(k).build()).getValue(),
          problems);
      System.out.println("RequestFuzzTest: " + background.sent() + " background increments alongside");
      if (!problems.isEmpty()) {
        failures.add("valid writes sent alongside the fuzz:\n    " + String.join("\n    ", problems));
      }
    }
    // What n1 accepted from the wire, n2 accepts from n1: the two converge (anti-entropy).
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> Arrays.equals(digest(peer), digest(otherPeer)));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      failures.add("n2 did not converge to what n1 accepted within 60 s (see the cluster dump)");
    }
    if (!errorLogs.isEmpty()) {
      failures.add("logged at ERROR/SEVERE during the run:\n    " + String.join("\n    ", errorLogs));
    }
    assertThat(failures).as("SEED=" + seed + ": " + failures.size() + " failing cases:\n" + String.join("\n", failures))
        .isEmpty();
  }

  /** One generated call. */
  record Case(long seed, int index, Rpc rpc, String how, Channel channel, String header, boolean gzip, byte[] bytes) {
    boolean wrongCluster() {
      return !header.equals("ok");
    }

    String describe() {
      return "SEED=" + seed + " case " + index + " " + rpc + " [" + rpc.method.getFullMethodName() + "] header "
          + header + (gzip ? ", gzip" : "") + ": " + how + "\n    bytes (" + bytes.length + "): " + Hex.of(bytes, 2048);
    }
  }

  private Case generate(long seed, int index, Requests requests) {
    SplittableRandom r = new SplittableRandom(mix64(seed * 0x2545F4914F6CDD1DL + index));
    Rpc rpc = Rpc.values()[r.nextInt(Rpc.values().length)];
    StringBuilder how = new StringBuilder();
    byte[] bytes;
    int g = r.nextInt(100);
    if (g < 20) {
      how.append("(a) ");
      bytes = WireMutator.random(r, how);
    } else if (g < 55) {
      how.append("(b) ");
      Message base = requests.valid(rpc, r);
      if (r.nextInt(3) == 0) {
        base = Requests.semantic(base, r, how);
      }
      bytes = WireMutator.mutate(base.toByteArray(), r, how);
    } else if (g < 85) {
      how.append("(c) ");
      Message m = Requests.semantic(requests.valid(rpc, r), r, how);
      if (r.nextInt(4) == 0) {
        m = Requests.semantic(m, r, how);
      }
      bytes = m.toByteArray();
    } else {
      how.append("(d) valid");
      bytes = requests.valid(rpc, r).toByteArray();
    }
    Channel channel = client;
    String header = "ok";
    if (rpc.port == Rpc.Port.PEER) {
      int h = r.nextInt(20);
      channel = h == 0 ? peerNoHeader : h == 1 ? peerOtherCluster : peer;
      header = h == 0 ? "none" : h == 1 ? "other-cluster" : "ok";
    }
    boolean gzip = r.nextInt(20) == 0;
    return new Case(seed, index, rpc, how.toString(), channel, header, gzip, bytes);
  }

  /** Makes the call and checks it; returns the digest after it. */
  private long[] run(Case c, long[] before, List<String> problems, Map<Rpc, Map<Status.Code, Integer>> seen)
      throws InterruptedException {
    Rpc rpc = c.rpc();
    List<String> named = Requests.namedKeys(rpc, c.bytes());
    WriteModel model = rpc.port == Rpc.Port.CLIENT && rpc.effect == Rpc.Effect.WRITES_NAMED_KEYS
        ? WriteModel.of(rpc, c.bytes(), this::valueOrNull) : null;

    RawCalls.Outcome out = rpc == Rpc.WATCH
        ? RawCalls.serverStream(c.channel(), rpc.method, c.bytes(), watchExpects(c.bytes()), c.gzip())
        : RawCalls.unary(c.channel(), rpc.method, c.bytes(), c.gzip());
    seen.computeIfAbsent(rpc, k -> new TreeMap<>()).merge(out.code(), 1, Integer::sum);
    String answer = out.code() + (out.description() == null ? "" : " '" + out.description() + "'");

    if (c.wrongCluster()) {
      if (out.code() != Status.Code.FAILED_PRECONDITION) {
        problems.add("a peer call of no or another cluster answered " + answer + ", not FAILED_PRECONDITION");
      }
    } else if (!rpc.allowed.contains(out.code())) {
      problems.add("answered " + answer + "; documented: " + rpc.allowed);
    }
    String d = out.description();
    if (d != null && d.contains(CLUSTER)) {
      problems.add("the message names this node's cluster id (it guards the peer port): " + answer);
    }
    if (d != null && (d.contains("\tat ") || d.contains("Exception"))) {
      problems.add("the message shows an exception or a stack trace: " + answer);
    }

    boolean appliedLocally = out.description() != null && out.description().startsWith("QUORUM write applied locally");
    boolean mayChange = rpc.effect == Rpc.Effect.WRITES_NAMED_KEYS && !c.wrongCluster() && (out.ok() || appliedLocally);
    long[] after = digest();
    Set<Integer> allowedNodes = new HashSet<>();
    if (mayChange) {
      for (String k : named) {
        allowedNodes.add(DigestTree.leafOf(k, 1));
      }
    }
    for (int n = 0; n < after.length; n++) {
      if (after[n] != before[n] && !allowedNodes.contains(n) && (background == null || n != background.digestNode)) {
        problems.add((mayChange ? "an accepted call changed a counter it does not name" : "a call answered " + answer
            + " changed counters") + " (top-level digest node " + n + "; named keys " + shorten(named) + ")");
        break;
      }
    }
    if (model != null) {
      model.check(out, appliedLocally, this::valueOrNull, problems, answer);
    }
    return after;
  }

  /** How many messages a Watch of these bytes sends first (one per distinct key), 1 when it should be refused. */
  private static int watchExpects(byte[] bytes) {
    try {
      return Math.max(1, new LinkedHashSet<>(WatchRequest.parseFrom(bytes).getKeysList()).size());
    } catch (InvalidProtocolBufferException e) {
      return 1;
    }
  }

  private void checkAlive(List<String> problems) {
    try {
      if (!node.isServing()) {
        problems.add("the node is no longer serving");
      }
      ServingStatus health = HealthGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).getStatus();
      if (health != ServingStatus.SERVING) {
        problems.add("health is " + health);
      }
      long canary = TestNodes.blocking(client).get(GetRequest.newBuilder().setKey(CANARY).build()).getValue();
      if (canary != CANARY_VALUE) {
        problems.add("the canary counter, named by no case, is " + canary + ", not " + CANARY_VALUE);
      }
    } catch (RuntimeException e) {
      problems.add("the node does not answer a valid Get/Check: " + e);
    }
  }

  // ---------------------------------------------------------------- state observation

  /** The digest tree's 64 top-level hashes: every counter's state is folded into exactly one. */
  private long[] digest() {
    return digest(peer);
  }

  private static long[] digest(Channel peerOf) {
    DigestResponse r = PeerServiceGrpc.newBlockingStub(peerOf).withDeadlineAfter(10, TimeUnit.SECONDS)
        .compareDigest(DigestRequest.newBuilder().setFrom(NodeRef.newBuilder().setName("fz-observer").setDc("dc1"))
            .setTreeDepth(Requests.TREE_DEPTH).setLevel(0).addIndexes(0).build());
    long[] out = new long[DigestTree.FANOUT];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.getChildHashes(i);
    }
    return out;
  }

  /** A counter's LOCAL value, or null when it cannot be read (an invalid key, a value beyond int64). */
  private BigInteger valueOrNull(String key) {
    try {
      return BigInteger.valueOf(TestNodes.blocking(client).get(GetRequest.newBuilder().setKey(key).build()).getValue());
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void write(String key, long amount) {
    TestNodes.blocking(client).increment(IncrementRequest.newBuilder().setKey(key).setAmount(amount).build());
  }

  private static String shorten(List<String> keys) {
    String s = keys.stream().map(k -> k.length() > 20 ? k.substring(0, 20) + "..(" + k.length() + ")" : k).toList()
        .toString();
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  /** Stafford's mix 13: case seeds that differ by one share nothing. */
  private static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * What a client write should do to the counters it names: read before the call (only when the
   * request parses and names at most 50 distinct readable keys), compared after.
   */
  private record WriteModel(Rpc rpc, Map<String, BigInteger> before, Map<String, BigInteger> delta,
      boolean hasRequestId, Message request) {
    static final int MAX_KEYS = 50;

    static WriteModel of(Rpc rpc, byte[] bytes, java.util.function.Function<String, BigInteger> read) {
      Map<String, BigInteger> delta = new LinkedHashMap<>();
      Message request;
      String requestId;
      try {
        switch (rpc) {
          case INCREMENT -> {
            IncrementRequest q = IncrementRequest.parseFrom(bytes);
            delta.put(q.getKey(), BigInteger.valueOf(q.hasAmount() ? q.getAmount() : 1));
            request = q;
            requestId = q.getRequestId();
          }
          case DECREMENT -> {
            DecrementRequest q = DecrementRequest.parseFrom(bytes);
            delta.put(q.getKey(), BigInteger.valueOf(q.hasAmount() ? q.getAmount() : 1).negate());
            request = q;
            requestId = q.getRequestId();
          }
          case INCREMENT_MANY -> {
            IncrementManyRequest q = IncrementManyRequest.parseFrom(bytes);
            if (q.getItemsCount() > 1000) {
              return null;
            }
            for (IncrementManyRequest.Item item : q.getItemsList()) {
              delta.merge(item.getKey(), BigInteger.valueOf(item.hasAmount() ? item.getAmount() : 1), BigInteger::add);
            }
            request = q;
            requestId = q.getRequestId();
          }
          default -> {
            return null;
          }
        }
      } catch (InvalidProtocolBufferException e) {
        return null;
      }
      if (delta.size() > MAX_KEYS) {
        return null;
      }
      Map<String, BigInteger> before = new LinkedHashMap<>();
      for (String k : delta.keySet()) {
        int bytesOfKey = k.getBytes(StandardCharsets.UTF_8).length;
        BigInteger v = bytesOfKey == 0 || bytesOfKey > 4096 ? null : read.apply(k);
        if (v == null) {
          return null;
        }
        before.put(k, v);
      }
      return new WriteModel(rpc, before, delta, !requestId.isEmpty(), request);
    }

    void check(RawCalls.Outcome out, boolean appliedLocally, java.util.function.Function<String, BigInteger> read,
        List<String> problems, String answer) {
      Map<String, BigInteger> after = new LinkedHashMap<>();
      for (String k : before.keySet()) {
        after.put(k, read.apply(k));
      }
      Map<String, BigInteger> applied = new LinkedHashMap<>();
      before.forEach((k, v) -> applied.put(k, v.add(delta.get(k))));
      boolean unchanged = after.equals(before);
      boolean once = after.equals(applied);
      if (out.ok() && !hasRequestId && !once) {
        problems.add("OK without request_id, but the counters went " + before + " -> " + after + ", not " + applied);
      } else if ((out.ok() || appliedLocally) && !once && !unchanged) {
        problems.add(answer + " but the counters went " + before + " -> " + after + ": neither the write once ("
            + applied + ") nor not at all");
      } else if (!out.ok() && !appliedLocally && !unchanged) {
        problems.add("refused with " + answer + " but the counters went " + before + " -> " + after);
      }
      if (out.ok() && once) {
        checkAnswer(out.response(), after, problems);
      }
    }

    /** The values the write answered are the counters' values after it. */
    private void checkAnswer(byte[] response, Map<String, BigInteger> after, List<String> problems) {
      try {
        if (rpc == Rpc.INCREMENT_MANY) {
          IncrementManyResponse r = IncrementManyResponse.parseFrom(response);
          List<IncrementManyRequest.Item> items = ((IncrementManyRequest) request).getItemsList();
          if (r.getValuesCount() != items.size()) {
            problems.add("IncrementMany answered " + r.getValuesCount() + " values for " + items.size() + " items");
            return;
          }
          for (int i = 0; i < items.size(); i++) {
            BigInteger want = after.get(items.get(i).getKey());
            if (!BigInteger.valueOf(r.getValues(i).getValue()).equals(want)) {
              problems.add("IncrementMany values[" + i + "] = " + r.getValues(i).getValue() + ", the key holds " + want);
            }
          }
        } else {
          CounterValue v = CounterValue.parseFrom(response);
          BigInteger want = after.values().iterator().next();
          if (!BigInteger.valueOf(v.getValue()).equals(want)) {
            problems.add(rpc + " answered " + v.getValue() + ", the key holds " + want);
          }
        }
      } catch (InvalidProtocolBufferException e) {
        problems.add("the answer does not parse: " + e.getMessage());
      }
    }
  }
}
