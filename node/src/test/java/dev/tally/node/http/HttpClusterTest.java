package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import dev.tally.node.testing.TestNodes;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP port of a cluster member: QUORUM refusals as 503 with gRPC's words, and a watch that sees other nodes' writes. */
class HttpClusterTest {
  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();
  @TempDir
  Path tmp;

  private InProcessCluster cluster() {
    InProcessCluster.Spec spec = new InProcessCluster.Spec().nodes(3, "dc1");
    for (String n : java.util.List.of("n1", "n2", "n3")) {
      spec.setOn(n, "http-port", Integer.toString(TestNodes.freePort()));
    }
    InProcessCluster c = clusters.start(tmp, spec);
    c.awaitMembership();
    return c;
  }

  @Test
  void quorumWrite_withTheMajorityCutOff_is503_withTheGrpcMessage() {
    InProcessCluster c = cluster();
    c.faults().isolate("n1", c.names());
    HttpTestClient http = HttpTestClient.plain(c.node("n1").httpPort());
    HttpTestClient.Reply r = http.post("/v1/counters/q:increment", "{\"consistency\": \"QUORUM\", \"request_id\": \"h-1\"}");
    HttpRestTest.assertError(r, 503, "UNAVAILABLE");
    assertThat(r.json().get("message").asText()).contains("applied locally on node n1", "retrying with the same request_id is safe");
    StatusRuntimeException grpc = org.assertj.core.api.Assertions.catchThrowableOfType(() -> c.stub("n1").increment(
        IncrementRequest.newBuilder().setKey("q2").setRequestId("h-2").setConsistency(Consistency.CONSISTENCY_QUORUM).build()),
        StatusRuntimeException.class);
    assertThat(r.json().get("message").asText().replace("'q'", "'q2'").replace("h-1", "h-2"))
        .isEqualTo(grpc.getStatus().getDescription());
  }

  @Test
  void watchOnOneNode_seesAWriteOnAnother() throws Exception {
    InProcessCluster c = cluster();
    try (SseStream s = SseStream.open(HttpClient.newHttpClient(),
        "http://127.0.0.1:" + c.node("n1").httpPort() + "/v1/counters:watch?keys=rep")) {
      assertThat(s.nextData("value", Duration.ofSeconds(10))).contains("\"value\":0");
      c.stub("n2").increment(IncrementRequest.newBuilder().setKey("rep").setAmount(9).build());
      assertThat(s.nextData("value", Duration.ofSeconds(20))).contains("\"value\":9");
    }
  }
}
