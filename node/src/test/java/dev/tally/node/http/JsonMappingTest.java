package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.Consistency;
import dev.tally.api.v1.FailoverResolution;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.MemberStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonMappingTest {
  @Test
  void sixtyFourBitValues_areNumbersUpTo2To53_andStringsBeyond_nestedAndUnsignedToo() throws Exception {
    ClusterStatusResponse r = ClusterStatusResponse.newBuilder().setFailoverPending(-1L) // uint64 max
        .addMembers(MemberStatus.newBuilder().setName("a").setReplicationLagMs(JsonMapping.MAX_SAFE_INTEGER))
        .addMembers(MemberStatus.newBuilder().setName("b").setReplicationLagMs(-JsonMapping.MAX_SAFE_INTEGER - 1))
        .build();
    JsonNode json = HttpTestClient.JSON.readTree(JsonMapping.print(r));
    assertThat(json.get("failover_pending").asText()).isEqualTo("18446744073709551615");
    assertThat(json.get("failover_pending").isTextual()).isTrue();
    assertThat(json.get("members").get(0).get("replication_lag_ms").isNumber()).isTrue();
    assertThat(json.get("members").get(0).get("replication_lag_ms").asLong()).isEqualTo(JsonMapping.MAX_SAFE_INTEGER);
    assertThat(json.get("members").get(1).get("replication_lag_ms").isTextual()).isTrue();
    assertThat(json.get("members").get(1).get("pending_keys").asLong()).isZero();
  }

  @Test
  void enums_takeShortOrFullNames_andUnknownFieldsAreNamed() {
    IncrementRequest.Builder b = IncrementRequest.newBuilder();
    JsonMapping.merge(JsonMapping.readObject("{\"consistency\": \"QUORUM\", \"failover_resolution\": \"wait\", \"amount\": \"7\"}"
        .getBytes(StandardCharsets.UTF_8)), b);
    assertThat(b.getConsistency()).isEqualTo(Consistency.CONSISTENCY_QUORUM);
    assertThat(b.getFailoverResolution()).isEqualTo(FailoverResolution.FAILOVER_RESOLUTION_WAIT);
    assertThat(b.getAmount()).isEqualTo(7);
    IncrementRequest.Builder full = IncrementRequest.newBuilder();
    JsonMapping.merge(JsonMapping.readObject("{\"consistency\": \"CONSISTENCY_LOCAL\"}".getBytes(StandardCharsets.UTF_8)), full);
    assertThat(full.getConsistency()).isEqualTo(Consistency.CONSISTENCY_LOCAL);
    assertThatThrownBy(() -> JsonMapping.merge(JsonMapping.readObject("{\"amout\": 1}".getBytes(StandardCharsets.UTF_8)),
        IncrementRequest.newBuilder())).isInstanceOf(BadRequest.class).hasMessageContaining("unknown field 'amout'");
    assertThatThrownBy(() -> JsonMapping.readObject("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(BadRequest.class);
  }
}
