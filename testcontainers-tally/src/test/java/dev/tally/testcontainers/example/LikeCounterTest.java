package dev.tally.testcontainers.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.client.TallyClient;
import dev.tally.testcontainers.DockerGate; // test harness
import dev.tally.testcontainers.TallyContainer;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

@DockerGate // test harness: skip (or fail in CI) without Docker, and build tally-node:dev
@Testcontainers
class LikeCounterTest {

  @Container
  static TallyContainer tally = new TallyContainer("tally-node:dev")
      .withSetting("durability", "sync");

  @Test
  void likesAddUp() {
    try (TallyClient client = TallyClient.builder().target(tally.getTarget()).build()) {
      client.increment("likes:post-42");
      client.increment("likes:post-42", 41);

      assertThat(client.get("likes:post-42").value()).isEqualTo(42);
      assertThat(client.get("likes:post-7").neverWritten()).isTrue();
    }
  }
}
