package dev.tally.node.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tally.client.CounterChange;
import dev.tally.client.PermissionDeniedException;
import dev.tally.client.TallyClient;
import dev.tally.client.TallyException;
import dev.tally.client.UnauthenticatedException;
import dev.tally.client.WatchListener;
import dev.tally.client.WatchSubscription;
import dev.tally.node.TallyNode;
import dev.tally.node.auth.Role;
import dev.tally.node.auth.Tokens;
import dev.tally.node.testing.TestNodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's {@code token(...)} against a node with auth-tokens, and its two named exceptions. */
class SdkAuthTest {
  static final String WRITER = Tokens.create();
  static final String READER = Tokens.create();

  @TempDir
  static Path dir;

  static TallyNode node;
  static String endpoint;

  @BeforeAll
  static void start() throws IOException {
    Path file = dir.resolve("tokens.yaml");
    Files.writeString(file, Tokens.entry("app", WRITER, EnumSet.of(Role.READ, Role.WRITE), List.of("likes:"))
        + Tokens.entry("dash", READER, EnumSet.of(Role.READ), List.of()));
    node = TestNodes.start(dir.resolve("data"), "auth-tokens", file.toString());
    endpoint = "127.0.0.1:" + node.clientPort();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void token_authenticatesEveryCallIncludingWatch() throws Exception {
    try (TallyClient c = TallyClient.builder().endpoints(endpoint).token(WRITER).build()) {
      assertThat(c.increment("likes:sdk").value()).isEqualTo(1);
      assertThat(c.incrementMany(List.of(CounterChange.increment("likes:sdk", 2))).get(0).value()).isEqualTo(3);
      assertThat(c.get("likes:sdk").value()).isEqualTo(3);
      CompletableFuture<Long> first = new CompletableFuture<>();
      try (WatchSubscription w = c.watch(List.of("likes:sdk"), v -> first.complete(v.value()))) {
        assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(3);
      }
    }
  }

  @Test
  void noOrUnknownToken_isUnauthenticatedException_notRetried() {
    for (TallyClient c : List.of(TallyClient.builder().endpoints(endpoint).build(),
        TallyClient.builder().endpoints(endpoint).token("tally_unknown").build())) {
      try (c) {
        UnauthenticatedException e = catchThrowableOfType(UnauthenticatedException.class, () -> c.increment("likes:u"));
        assertThat(e).isNotNull();
        assertThat(e.attempts()).isEqualTo(1);
        assertThat(e.description()).contains("authorization: Bearer <token>");
        CompletableFuture<TallyException> ended = new CompletableFuture<>();
        try (WatchSubscription w = c.watch(List.of("likes:u"), new WatchListener() {
          @Override
          public void onValue(dev.tally.client.CounterValue value) {}

          @Override
          public void onError(TallyException error) {
            ended.complete(error);
          }
        })) {
          assertThat(ended.join()).isInstanceOf(UnauthenticatedException.class);
        }
      }
    }
  }

  @Test
  void missingRoleOrPrefix_isPermissionDeniedException_notRetried() {
    try (TallyClient reader = TallyClient.builder().endpoints(endpoint).token(READER).build();
        TallyClient writer = TallyClient.builder().endpoints(endpoint).token(WRITER).build()) {
      PermissionDeniedException role = catchThrowableOfType(PermissionDeniedException.class,
          () -> reader.increment("likes:p"));
      assertThat(role.attempts()).isEqualTo(1);
      assertThat(role.description()).contains("lacks the write role");
      PermissionDeniedException prefix = catchThrowableOfType(PermissionDeniedException.class,
          () -> writer.incrementMany(List.of(CounterChange.increment("likes:p", 1), CounterChange.increment("x", 1))));
      assertThat(prefix.description()).contains("items[1].key 'x'");
      assertThat(reader.get("likes:p").value()).isZero();
    }
  }

  @Test
  void tokenOverPlaintext_toAnotherHost_isRefusedUnlessAllowed() {
    assertThatThrownBy(() -> TallyClient.builder().endpoints("10.255.255.1:7400").token(WRITER).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("a token over plaintext to 10.255.255.1")
        .hasMessageNotContaining(WRITER);
    TallyClient.builder().endpoints("10.255.255.1:7400").token(WRITER).allowTokenOverPlaintext(true).build().close();
    TallyClient.builder().endpoints("localhost:7400").token(WRITER).build().close();
    assertThatThrownBy(() -> TallyClient.builder().token("two words")).isInstanceOf(IllegalArgumentException.class);
  }
}
