package dev.tally.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Builder and value-type validation: each argument checked when set, no setting given twice. */
class TallyClientBuilderTest {

  @TempDir static Path dir;

  static Path pem() throws Exception {
    Path f = dir.resolve("x.pem");
    if (!Files.exists(f)) {
      Files.writeString(f, "not really a certificate");
    }
    return f;
  }

  static Stream<Arguments> settingsGivenTwice() throws Exception {
    Path pem = pem();
    return Stream.of(
        twice("endpoints", b -> b.endpoints("a:1"), "endpoints was already set to a:1"),
        twice("deadline", b -> b.deadline(Duration.ofSeconds(2)), "deadline was already set to PT2S"),
        twice("consistency", b -> b.consistency(Consistency.QUORUM), "consistency was already set to QUORUM"),
        twice("retryPolicy", b -> b.retryPolicy(RetryPolicy.noRetries()), "retryPolicy was already set to RetryPolicy[maxAttempts=1"),
        twice("retryBudget", b -> b.retryBudget(RetryBudget.defaults()), "retryBudget was already set to RetryBudget[retryRatio=0.1, minRetriesPerSecond=10]"),
        twice("endpointCoolDown", b -> b.endpointCoolDown(Duration.ofSeconds(1)), "endpointCoolDown was already set to PT1S"),
        twice("coalesceWrites", b -> b.coalesceWrites(Duration.ofMillis(2)), "coalesceWrites was already set to PT0.002S"),
        twice("watchReconnectTimeout", b -> b.watchReconnectTimeout(Duration.ofSeconds(3)), "watchReconnectTimeout was already set to PT3S"),
        twice("keepAliveTime", b -> b.keepAliveTime(Duration.ofSeconds(30)), "keepAliveTime was already set to PT30S"),
        twice("failoverWrites", b -> b.failoverWrites(false), "failoverWrites was already set to false"),
        twice("failoverWrites by its old name", b -> b.clusterDedupesAcrossNodes(true), "failoverWrites was already set to true"),
        twice("dedupeWindow", b -> b.dedupeWindow(Duration.ofMinutes(5)), "dedupeWindow was already set to PT5M"),
        twice("retryListener", b -> b.retryListener(e -> { }), "retryListener was already set to"),
        twice("callbackExecutor", b -> b.callbackExecutor(Runnable::run), "callbackExecutor was already set to"),
        twice("meterRegistry", b -> b.meterRegistry(new SimpleMeterRegistry()), "meterRegistry was already set to"),
        twice("plaintext", TallyClientBuilder::usePlaintext, "transport security was already set to plaintext"),
        twice("tls", TallyClientBuilder::useTls, "transport security was already set to TLS"),
        twice("tls with ca", b -> b.useTls(pem), "transport security was already set to TLS"),
        twice("clientCertificate", b -> b.clientCertificate(pem, pem), "clientCertificate was already set to " + pem),
        twice("tlsServerName", b -> b.tlsServerName("n.example"), "tlsServerName was already set to n.example"));
  }

  private static Arguments twice(String name, Consumer<TallyClientBuilder> set, String message) {
    return Arguments.of(name, set, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("settingsGivenTwice")
  void setting_givenTwice_isRefusedNamingTheFirstValue(
      String name, Consumer<TallyClientBuilder> set, String message) {
    TallyClientBuilder b = TallyClient.builder();
    set.accept(b);
    assertThatThrownBy(() -> set.accept(b)).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void relatedSettings_countAsTheSameSetting() {
    assertThatThrownBy(() -> TallyClient.builder().endpoints("a:1").target("b:2"))
        .isInstanceOf(IllegalStateException.class).hasMessage("endpoints was already set to a:1");
    assertThatThrownBy(() -> TallyClient.builder().target("dns:///t:1").endpoints("b:2"))
        .isInstanceOf(IllegalStateException.class).hasMessage("endpoints was already set to dns:///t:1");
    assertThatThrownBy(() -> TallyClient.builder().usePlaintext().useTls())
        .isInstanceOf(IllegalStateException.class).hasMessage("transport security was already set to plaintext");
  }

  static Stream<Arguments> invalidArguments() {
    return Stream.of(
        invalid(b -> b.endpoints(), "endpoints must not be empty"),
        invalid(b -> b.endpoints("localhost"), "endpoint \"localhost\" must be host:port (IPv6 as [addr]:port)"),
        invalid(b -> b.endpoints("a:1", "a:1"), "endpoint a:1 is listed twice"),
        invalid(b -> b.endpoints("a:0"), "endpoint \"a:0\" has port 0; ports are 1..65535"),
        invalid(b -> b.endpoints("a:70000"), "endpoint \"a:70000\" has port 70000; ports are 1..65535"),
        invalid(b -> b.endpoints("a:http"), "endpoint \"a:http\" must be host:port"),
        invalid(b -> b.endpoints("::1:7000"), "write an IPv6 address as [addr]:port"),
        invalid(b -> b.endpoints("a:1", " "), "endpoint 2 of 2 is empty"),
        invalid(b -> b.target(""), "target must not be empty"),
        invalid(b -> b.target("a:1,,b:2"), "endpoint 2 of 3 is empty"),
        invalid(b -> b.target("dns://8.8.8.8/tally:7000"), "must be dns:///name:port (a DNS authority is not supported)"),
        invalid(b -> b.target("dns:///tally"), "endpoint \"tally\" must be host:port"),
        invalid(b -> b.deadline(Duration.ZERO), "deadline must be positive, got PT0S"),
        invalid(b -> b.deadline(Duration.ofMillis(-5)), "deadline must be positive, got PT-0.005S"),
        invalid(b -> b.endpointCoolDown(Duration.ZERO), "endpointCoolDown must be positive"),
        invalid(b -> b.coalesceWrites(Duration.ofSeconds(2)), "coalesceWrites window must be 1us..PT1S, got PT2S"),
        invalid(b -> b.coalesceWrites(Duration.ofNanos(10)), "coalesceWrites window must be 1us..PT1S, got PT0.00000001S"),
        invalid(b -> b.watchReconnectTimeout(Duration.ZERO), "watchReconnectTimeout must be positive"),
        invalid(b -> b.keepAliveTime(Duration.ofSeconds(5)), "keepAliveTime must be >= PT10S, got PT5S"),
        invalid(b -> b.useTls(dir.resolve("missing.pem")), "caCertificates must be a readable file, got "),
        invalid(b -> b.useTls(dir), "caCertificates must be a readable file"),
        invalid(b -> b.tlsServerName(" "), "tlsServerName must not be blank"));
  }

  private static Arguments invalid(Consumer<TallyClientBuilder> set, String message) {
    return Arguments.of(set, message);
  }

  @ParameterizedTest
  @MethodSource("invalidArguments")
  void invalidArgument_isRefusedWhenSet(Consumer<TallyClientBuilder> set, String message) {
    assertThatThrownBy(() -> set.accept(TallyClient.builder()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }

  @Test
  void nullArguments_areRefused() {
    assertThatThrownBy(() -> TallyClient.builder().deadline(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> TallyClient.builder().consistency(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> TallyClient.builder().endpoints((String[]) null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> TallyClient.builder().callbackExecutor(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void build_withoutEndpoints_isRefused() {
    assertThatThrownBy(() -> TallyClient.builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessage("no endpoints: call endpoints(\"host:port\", ...) or target(\"dns:///name:port\")");
  }

  @Test
  void build_tlsOnlySettingsWithoutTls_areRefused() throws Exception {
    Path pem = pem();
    assertThatThrownBy(() -> TallyClient.builder().endpoints("a:1").clientCertificate(pem, pem).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("clientCertificate needs useTls() or useTls(caCertificates)");
    assertThatThrownBy(() -> TallyClient.builder().endpoints("a:1").usePlaintext().tlsServerName("x").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("tlsServerName needs useTls() or useTls(caCertificates)");
  }

  @Test
  void build_unparseableCertificate_isRefusedNamingTheProblem() throws Exception {
    Path pem = pem();
    assertThatThrownBy(() -> TallyClient.builder().endpoints("a:1").useTls(pem).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("could not load TLS certificates or key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1:7000", "node-1.tally.internal:7000", "[::1]:7000", " a:1 , b:2 "})
  void endpoints_acceptHostPortForms_andBuildWithoutConnecting(String target) {
    try (TallyClient client = TallyClient.builder().target(target).build()) {
      assertThat(client).isNotNull();
    }
  }

  @Test
  void consistency_parse_acceptsAnyCase_andNamesTheChoices() {
    assertThat(Consistency.parse("quorum")).isEqualTo(Consistency.QUORUM);
    assertThat(Consistency.parse(" Local ")).isEqualTo(Consistency.LOCAL);
    assertThatThrownBy(() -> Consistency.parse("all")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("consistency must be one of LOCAL, QUORUM (any case), got \"all\"");
  }

  @Test
  void retryPolicy_validatesEachComponent() {
    RetryPolicy d = RetryPolicy.defaults();
    assertThat(d).isEqualTo(new RetryPolicy(4, Duration.ofMillis(25), Duration.ofSeconds(1), 1.0, Duration.ofSeconds(2)));
    assertThatThrownBy(() -> d.withMaxAttempts(0)).hasMessage("maxAttempts must be 1..100, got 0");
    assertThatThrownBy(() -> d.withMaxAttempts(101)).hasMessage("maxAttempts must be 1..100, got 101");
    assertThatThrownBy(() -> d.withBackoff(Duration.ZERO, Duration.ofSeconds(1))).hasMessage("initialBackoff must be positive, got PT0S");
    assertThatThrownBy(() -> d.withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessage("maxBackoff must be >= initialBackoff (PT2S), got PT1S");
    assertThatThrownBy(() -> d.withJitter(1.5)).hasMessage("jitter must be 0..1, got 1.5");
    assertThatThrownBy(() -> d.withJitter(Double.NaN)).hasMessage("jitter must be 0..1, got NaN");
    assertThatThrownBy(() -> d.withAttemptTimeout(Duration.ofSeconds(-1))).hasMessage("attemptTimeout must be positive, got PT-1S");
    assertThat(RetryPolicy.noRetries().maxAttempts()).isEqualTo(1);
  }

  @Test
  void retryBudget_validatesEachComponent() {
    assertThat(RetryBudget.defaults().capacity()).isEqualTo(20.0);
    assertThatThrownBy(() -> new RetryBudget(-0.1, 1)).hasMessage("retryRatio must be 0..1, got -0.1");
    assertThatThrownBy(() -> new RetryBudget(0.1, -1)).hasMessage("minRetriesPerSecond must be 0..100000, got -1");
  }

  @Test
  void requestOptions_validateAndCompose() {
    RequestOptions o = RequestOptions.consistency(Consistency.QUORUM)
        .withDeadline(Duration.ofMillis(300)).withRequestId("id-1");
    assertThat(o.consistency()).contains(Consistency.QUORUM);
    assertThat(o.deadline()).contains(Duration.ofMillis(300));
    assertThat(o.requestId()).contains("id-1");
    assertThat(o).isEqualTo(RequestOptions.defaults().withRequestId("id-1")
        .withConsistency(Consistency.QUORUM).withDeadline(Duration.ofMillis(300)));
    assertThat(RequestOptions.defaults().consistency()).isEmpty();
    assertThatThrownBy(() -> RequestOptions.deadline(Duration.ZERO)).hasMessage("deadline must be positive, got PT0S");
    assertThatThrownBy(() -> RequestOptions.defaults().withRequestId("")).hasMessage("request_id must be 1..128 bytes of UTF-8, got 0");
    assertThatThrownBy(() -> RequestOptions.defaults().withRequestId("é".repeat(65)))
        .hasMessage("request_id must be 1..128 bytes of UTF-8, got 130");
  }

  @Test
  void counterChange_factoriesSignTheAmount() {
    assertThat(CounterChange.increment("k")).isEqualTo(new CounterChange("k", 1));
    assertThat(CounterChange.increment("k", 5).amount()).isEqualTo(5);
    assertThat(CounterChange.decrement("k", 5).amount()).isEqualTo(-5);
    assertThat(CounterChange.decrement("k", Long.MAX_VALUE).amount()).isEqualTo(-Long.MAX_VALUE);
    assertThatThrownBy(() -> CounterChange.increment("k", 0)).hasMessage("amount must be >= 1, got 0");
    assertThatThrownBy(() -> CounterChange.decrement("k", -1)).hasMessage("amount must be >= 1, got -1");
    assertThatThrownBy(() -> new CounterChange(null, 1)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void exceptions_carryCodeDescriptionAndContext() {
    WriteOutcomeUnknownException e = new WriteOutcomeUnknownException(
        io.grpc.Status.Code.DEADLINE_EXCEEDED, "deadline", "a:1", 3, "id-9", null);
    assertThat(e.getMessage()).isEqualTo("DEADLINE_EXCEEDED: deadline; the write may or may not have been "
        + "applied; retrying with request id id-9 is safe (3 attempts, last on a:1)");
    assertThat(e.requestId()).contains("id-9");
    assertThat(List.of(new InvalidArgumentException("x", null, 0, null).code(),
            new CounterOverflowException("x", null, 0, null).code(),
            new FailedPreconditionException("x", null, 0, null).code()))
        .containsExactly(io.grpc.Status.Code.INVALID_ARGUMENT, io.grpc.Status.Code.OUT_OF_RANGE,
            io.grpc.Status.Code.FAILED_PRECONDITION);
  }
}
