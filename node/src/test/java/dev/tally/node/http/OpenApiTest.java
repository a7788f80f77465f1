package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import dev.tally.api.v1.ClusterStatusResponse;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /v1/openapi.json lists exactly the annotated routes, and its schemas are the messages' fields. */
class OpenApiTest {
  @TempDir
  Path dir;

  @Test
  void document_listsExactlyTheRoutes_andTheMessagesFields() throws Exception {
    try (TallyNode node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()))) {
      HttpTestClient.Reply r = HttpTestClient.plain(node.httpPort()).get(OpenApi.PATH);
      assertThat(r.status()).isEqualTo(200);
      JsonNode doc = r.json();
      assertThat(doc.get("openapi").asText()).startsWith("3.");
      Set<String> routes = new TreeSet<>();
      doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
          .forEachRemaining(m -> routes.add(m.toUpperCase() + " " + p.getKey())));
      assertThat(routes).containsExactlyInAnyOrder(
          "GET /v1/counters/{key}",
          "POST /v1/counters/{key}:increment",
          "POST /v1/counters/{key}:decrement",
          "POST /v1/counters:batchGet",
          "POST /v1/counters:batchIncrement",
          "GET /v1/counters:watch",
          "GET /v1/cluster:status");
      JsonNode schemas = doc.get("components").get("schemas");
      for (Descriptor d : List.of(CounterValue.getDescriptor(), IncrementRequest.getDescriptor(),
          IncrementManyRequest.getDescriptor(), IncrementManyRequest.Item.getDescriptor(),
          ClusterStatusResponse.getDescriptor())) {
        JsonNode s = schemas.get(d.getFullName());
        assertThat(s).as(d.getFullName()).isNotNull();
        List<String> props = new ArrayList<>();
        s.get("properties").fieldNames().forEachRemaining(props::add);
        assertThat(props).as(d.getFullName()).containsExactlyElementsOf(d.getFields().stream().map(FieldDescriptor::getName).toList());
      }
      assertThat(schemas.get("tally.v1.CounterValue").get("properties").get("value").get("type").toString())
          .isEqualTo("[\"integer\",\"string\"]");
      assertThat(schemas.get("tally.v1.CounterValue").get("properties").get("updated_at").get("format").asText())
          .isEqualTo("date-time");
      assertThat(schemas.get("Error").get("required").toString()).isEqualTo("[\"code\",\"message\"]");
      JsonNode get = doc.get("paths").get("/v1/counters/{key}").get("get");
      assertThat(get.get("parameters").get(0).get("in").asText()).isEqualTo("path");
      assertThat(get.get("parameters").findValuesAsText("name")).containsExactly("key", "consistency");
      JsonNode watch = doc.get("paths").get("/v1/counters:watch").get("get");
      assertThat(watch.get("parameters").findValuesAsText("name")).containsExactly("keys", "access_token");
      assertThat(watch.get("responses").get("200").get("content").has("text/event-stream")).isTrue();
      assertThat(doc.get("paths").get("/v1/counters/{key}:increment").get("post").get("requestBody").get("content")
          .get("application/json").get("schema").get("$ref").asText()).isEqualTo("#/components/schemas/tally.v1.IncrementRequest");
    }
  }
}
