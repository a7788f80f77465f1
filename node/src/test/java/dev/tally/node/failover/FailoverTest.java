package dev.tally.node.failover;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.FailoverResolution;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.api.NodeNameHeader;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across failover on real nodes (issue 12): a write retried on another node with
 * {@code prior_nodes} counts once, for every way the first attempt can have ended. Each test ends
 * with every node showing the exact total.
 */
class FailoverTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  private InProcessCluster c;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() {
    c = clusters.start(tmp, new InProcessCluster.Spec().nodes(3, "dc1").withMetrics()
        .set("failover-resolve-timeout", "300ms"));
    c.awaitMembership();
  }

  private static IncrementRequest inc(String key, long amount, String id, String... prior) {
    return IncrementRequest.newBuilder().setKey(key).setAmount(amount).setRequestId(id).addAllPriorNodes(List.of(prior))
        .build();
  }

  @Test
  void retryOnAnotherNode_whenTheFirstHadApplied_answersItsResultAndCountsOnce() throws Exception {
    CounterValue first = c.stub("n1").increment(inc("likes", 5, "r-1"));

    CounterValue retry = c.stub("n2").increment(inc("likes", 5, "r-1", "n1"));

    assertThat(retry.getValue()).as("the first call's result").isEqualTo(first.getValue()).isEqualTo(5);
    // n2 merged n1's state before answering: its LOCAL read includes the write at once.
    assertThat(c.value("n2", "likes")).isEqualTo(5);
    c.awaitValues(Map.of("likes", 5L));
    assertThat(metric("n2", "tally_failover_resolutions_total{", "outcome=\"applied_elsewhere\"")).isEqualTo(1);
  }

  @Test
  void originalAttemptArrivingAtAFencedNode_isRefusedAndNeverApplied() {
    // The first attempt to n1 is "still on its way"; the retry reaches n2 first and is resolved with n1.
    assertThat(c.stub("n2").increment(inc("likes", 3, "r-2", "n1")).getValue()).isEqualTo(3);

    assertStatus(() -> c.stub("n1").increment(inc("likes", 3, "r-2")), Status.Code.ABORTED,
        "request id 'r-2' is being handled by n2", "nothing was applied here");

    c.awaitValues(Map.of("likes", 3L));
    // A later retry anywhere still counts once.
    assertThat(c.stub("n3").increment(inc("likes", 3, "r-2", "n1", "n2")).getValue()).isEqualTo(3);
    c.awaitValues(Map.of("likes", 3L));
  }

  @Test
  void anyNode_star_findsTheNodeThatApplied() {
    c.stub("n1").increment(inc("likes", 2, "r-3"));

    assertThat(c.stub("n3").increment(inc("likes", 2, "r-3", "*")).getValue()).isEqualTo(2);

    c.awaitValues(Map.of("likes", 2L));
  }

  @Test
  void reusedIdForAnotherRequest_isInvalidArgument_andChangesNothing() {
    c.stub("n1").increment(inc("likes", 2, "r-4"));

    assertStatus(() -> c.stub("n2").increment(inc("likes", 7, "r-4", "n1")), Status.Code.INVALID_ARGUMENT,
        "request_id 'r-4' was already used on node n1 for a different request");
    assertStatus(() -> c.stub("n2").increment(inc("other", 2, "r-4", "n1")), Status.Code.INVALID_ARGUMENT,
        "different request");

    c.awaitValues(Map.of("likes", 2L, "other", 0L));
  }

  @Test
  void priorNodeUnreachable_applies_thenCompensatesOnceAfterTheHeal() throws Exception {
    c.stub("n1").increment(inc("likes", 4, "r-5"));
    c.awaitValues(Map.of("likes", 4L));
    c.faults().cut(List.of("n2"), List.of("n1"));

    CounterValue retry = c.stub("n2").increment(inc("likes", 4, "r-5", "n1"));

    assertThat(retry.getValue()).as("applied on n2 without an answer from n1").isEqualTo(8);
    assertThat(c.status("n2").getFailoverPending()).isEqualTo(1);
    c.faults().heal();
    await().atMost(Duration.ofSeconds(30)).until(() -> c.status("n2").getFailoverPending() == 0);
    c.awaitValues(Map.of("likes", 4L));
    assertThat(metric("n2", "tally_failover_compensations_total", "")).isEqualTo(1);
    assertThat(metric("n2", "tally_failover_resolutions_total{", "outcome=\"pending_compensated\"")).isEqualTo(1);

    // The undo and the record are one write: a restart finds nothing left to undo.
    c.stop("n2");
    c.start("n2");
    c.awaitMembership();
    assertThat(c.status("n2").getFailoverPending()).isZero();
    c.awaitValues(Map.of("likes", 4L));
    assertThat(c.stub("n2").increment(inc("likes", 4, "r-5", "n1")).getValue()).as("still deduplicated").isEqualTo(8);
    c.awaitValues(Map.of("likes", 4L));
  }

  @Test
  void pendingResolution_survivesARestart_andIsCompensatedOnce() {
    IncrementManyRequest batch = IncrementManyRequest.newBuilder().setRequestId("r-6")
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("a").setAmount(2))
        .addItems(IncrementManyRequest.Item.newBuilder().setKey("b").setAmount(-3))
        .build();
    c.stub("n1").incrementMany(batch);
    c.faults().cut(List.of("n2"), List.of("n1"));
    IncrementManyResponse retry = c.stub("n2").incrementMany(batch.toBuilder().addPriorNodes("n1").build());
    assertThat(retry.getValuesCount()).isEqualTo(2);
    assertThat(c.status("n2").getFailoverPending()).isEqualTo(1);

    // n2 goes down with the resolution pending; the heal happens while it is down.
    c.stop("n2");
    c.faults().heal();
    c.start("n2");
    c.awaitMembership();

    await().atMost(Duration.ofSeconds(30)).until(() -> c.status("n2").getFailoverPending() == 0);
    c.awaitValues(Map.of("a", 2L, "b", -3L));
  }

  @Test
  void priorNodeUnreachable_thatHadNotApplied_keepsTheRetry_andFencesTheOriginal() throws Exception {
    c.faults().cut(List.of("n2"), List.of("n1"));

    assertThat(c.stub("n2").increment(inc("likes", 6, "r-7", "n1")).getValue()).isEqualTo(6);

    c.faults().heal();
    await().atMost(Duration.ofSeconds(30)).until(() -> c.status("n2").getFailoverPending() == 0);
    // n1 fenced the id when n2 asked: the original attempt, arriving now, is refused.
    assertStatus(() -> c.stub("n1").increment(inc("likes", 6, "r-7")), Status.Code.ABORTED, "being handled by n2");
    c.awaitValues(Map.of("likes", 6L));
    assertThat(metric("n2", "tally_failover_resolutions_total{", "outcome=\"pending_kept\"")).isEqualTo(1);
  }

  @Test
  void waitResolution_refusesWhenAPriorNodeCannotBeAsked_andAppliesNothing() {
    c.stub("n1").increment(inc("likes", 1, "r-8"));
    c.faults().blackhole(List.of("n2"), List.of("n1")); // n1 hangs, as if paused

    assertStatus(() -> c.stub("n2").increment(inc("likes", 1, "r-8", "n1").toBuilder()
            .setFailoverResolution(FailoverResolution.FAILOVER_RESOLUTION_WAIT).build()),
        Status.Code.UNAVAILABLE, "cannot confirm that n1 did not apply request id 'r-8'", "nothing was applied");

    c.faults().heal();
    c.awaitValues(Map.of("likes", 1L));
    assertThat(c.status("n2").getFailoverPending()).isZero();
    // Once n1 answers, the same retry is answered from n1's record.
    assertThat(c.stub("n2").increment(inc("likes", 1, "r-8", "n1")).getValue()).isEqualTo(1);
    c.awaitValues(Map.of("likes", 1L));
  }

  @Test
  void badPriorNodes_areInvalidArgument_andChangeNothing() {
    assertStatus(() -> c.stub("n1").increment(inc("likes", 1, "", "n2")), Status.Code.INVALID_ARGUMENT,
        "prior_nodes needs a request_id");
    assertStatus(() -> c.stub("n1").increment(inc("likes", 1, "r-9", "nX")), Status.Code.INVALID_ARGUMENT,
        "prior_nodes[0] 'nX' is not a member of this cluster (members: n1, ");
    assertStatus(() -> c.stub("n1").increment(inc("likes", 1, "r-9", "")), Status.Code.INVALID_ARGUMENT,
        "prior_nodes[0] must be a node name");
    // Naming itself is harmless: a client may not know the name of the node it calls.
    assertThat(c.stub("n1").increment(inc("likes", 1, "r-9", "n1")).getValue()).isEqualTo(1);
    c.awaitValues(Map.of("likes", 1L));
  }

  @Test
  void everyResponseNamesTheNode_inTheTallyNodeHeader() {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    c.stub("n2").withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
        .increment(inc("likes", 1, ""));
    assertThat(headers.get().get(NodeNameHeader.KEY)).isEqualTo("n2");

    AtomicReference<Metadata> errorHeaders = new AtomicReference<>();
    AtomicReference<Metadata> errorTrailers = new AtomicReference<>();
    assertStatus(() -> c.stub("n3").withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(errorHeaders,
        errorTrailers)).increment(inc("", 1, "")), Status.Code.INVALID_ARGUMENT);
    Metadata onError = errorHeaders.get() != null && errorHeaders.get().containsKey(NodeNameHeader.KEY)
        ? errorHeaders.get() : errorTrailers.get();
    assertThat(onError.get(NodeNameHeader.KEY)).isEqualTo("n3");
  }

  /** The sum of a metric's samples on a node whose line contains {@code label}. */
  private double metric(String node, String name, String label) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + c.node(node).metricsPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    double sum = 0;
    Matcher m = Pattern.compile("(?m)^(" + Pattern.quote(name) + "[^ ]*) ([0-9.eE+-]+)$").matcher(r.body());
    while (m.find()) {
      if (m.group(1).contains(label)) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }
}
