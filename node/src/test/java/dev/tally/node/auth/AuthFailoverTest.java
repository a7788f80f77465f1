package dev.tally.node.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterServiceGrpc.CounterServiceBlockingStub;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request ids scoped to their principal across failover: a retry on another node naming the first
 * as a prior node is resolved under the same scoped id there, so it counts once, while another
 * principal's request with the same id is its own and counts too.
 */
class AuthFailoverTest {
  static final String HARNESS = Tokens.create();
  static final String A = Tokens.create();
  static final String B = Tokens.create();

  @RegisterExtension
  final ClusterTestSupport clusters = new ClusterTestSupport();

  @TempDir
  Path tmp;

  static ClientInterceptor bearer(String token) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }

  @Test
  void retryOnAnotherNode_resolvesUnderTheScopedId_otherPrincipalsCountApart() throws IOException {
    Path file = tmp.resolve("tokens.yaml");
    Files.writeString(file, Tokens.entry("harness", HARNESS, EnumSet.allOf(Role.class), List.of())
        + Tokens.entry("a", A, EnumSet.of(Role.READ, Role.WRITE), List.of())
        + Tokens.entry("b", B, EnumSet.of(Role.READ, Role.WRITE), List.of()));
    InProcessCluster c = clusters.start(tmp.resolve("cluster"), new InProcessCluster.Spec().nodes(2, "dc1")
        .set("auth-tokens", file.toString()).set("failover-resolve-timeout", "2s").stubInterceptor(bearer(HARNESS)));
    c.awaitMembership();
    IncrementRequest.Builder req = IncrementRequest.newBuilder().setKey("shared").setRequestId("r-1");

    assertThat(as(c, "n1", A).increment(req.setAmount(5).build()).getValue()).isEqualTo(5);
    // n2's answer below is its own value after applying: wait until a's write has replicated to it.
    c.awaitValues(Map.of("shared", 5L));
    // b's request with the same id, retried on n2 naming n1: n1 knows only a's, so b's counts.
    assertThat(as(c, "n2", B).increment(req.setAmount(7).addPriorNodes("n1").build()).getValue()).isEqualTo(12);
    // a's retry on n2 naming n1 finds a's write there: its first result, and nothing more counted.
    assertThat(as(c, "n2", A).increment(req.setAmount(5).build()).getValue()).isEqualTo(5);
    c.awaitValues(Map.of("shared", 12L));
  }

  static CounterServiceBlockingStub as(InProcessCluster c, String node, String token) {
    return CounterServiceGrpc.newBlockingStub(c.channel(node)).withDeadlineAfter(30, TimeUnit.SECONDS)
        .withInterceptors(bearer(token));
  }
}
