package dev.tally.node.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tally.api.v1.AdminServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.ExportRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export on a node with an auth-tokens file: admin only, and an admin token's prefixes bound it. */
class ExportAuthTest {
  @TempDir
  static Path dir;

  static final String ADMIN = Tokens.create();
  static final String READ_WRITE = Tokens.create();
  static final String LIKES_ADMIN = Tokens.create();
  static TallyNode node;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws IOException {
    Path file = dir.resolve("tokens.yaml");
    Files.writeString(file, Tokens.entry("ops", ADMIN, EnumSet.of(Role.ADMIN), List.of())
        + Tokens.entry("app", READ_WRITE, EnumSet.of(Role.READ, Role.WRITE), List.of())
        + Tokens.entry("likes-ops", LIKES_ADMIN, EnumSet.of(Role.ADMIN), List.of("likes:")));
    node = TestNodes.start(dir.resolve("data"), "auth-tokens", file.toString());
    channel = TestNodes.channel(node);
    IncrementManyRequest.Builder b = IncrementManyRequest.newBuilder();
    for (String k : List.of("likes:1", "likes:2", "views:1")) {
      b.addItems(IncrementManyRequest.Item.newBuilder().setKey(k).setAmount(3));
    }
    TestNodes.blocking(channel).withInterceptors(bearer(READ_WRITE)).incrementMany(b.build());
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  static io.grpc.ClientInterceptor bearer(String token) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(md);
  }

  static List<String> export(String token, String prefix) {
    AdminServiceGrpc.AdminServiceBlockingStub stub = AdminServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    if (token != null) {
      stub = stub.withInterceptors(bearer(token));
    }
    List<String> keys = new ArrayList<>();
    stub.export(ExportRequest.newBuilder().setPrefix(prefix).build()).forEachRemaining(v -> keys.add(v.getKey()));
    return keys;
  }

  static Status refusal(String token, String prefix) {
    return catchThrowableOfType(() -> export(token, prefix), StatusRuntimeException.class).getStatus();
  }

  @Test
  void export_needsTheAdminRole() {
    assertThat(AuthInterceptor.requiredRole(AuthInterceptor.EXPORT)).contains(Role.ADMIN);
    assertThat(export(ADMIN, "")).containsExactlyInAnyOrder("likes:1", "likes:2", "views:1");

    Status readWrite = refusal(READ_WRITE, "");
    assertThat(readWrite.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(readWrite.getDescription()).contains("lacks the admin role that tally.v1.AdminService/Export needs");
    assertThat(refusal(null, "").getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(refusal("tally_not-a-known-token-at-all-0000000000000000000", "").getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void export_byAnAdminTokenWithPrefixes_onlyInsideThem() {
    assertThat(export(LIKES_ADMIN, "likes:")).containsExactlyInAnyOrder("likes:1", "likes:2");
    assertThat(export(LIKES_ADMIN, "likes:2")).containsExactly("likes:2");

    Status everything = refusal(LIKES_ADMIN, "");
    assertThat(everything.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(everything.getDescription()).contains("prefix '' is outside the key prefixes of principal 'likes-ops'");
    assertThat(refusal(LIKES_ADMIN, "views:").getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void unknownMethodsDefaultToAdmin_notOpen() {
    assertThat(AuthInterceptor.requiredRole("tally.v1.AdminService/SomethingLater")).contains(Role.ADMIN);
    assertThat(AuthInterceptor.requiredRole("tally.v9.Nobody/Knows")).contains(Role.ADMIN);
  }
}
