package dev.tally.node.auth;

import static dev.tally.node.testing.GrpcAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import dev.tally.node.tls.TlsFixture;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens and client certificates together, over a real mutual-TLS handshake (client-ca): a
 * certificate whose subject is a token-file entry's {@code cert-subject} is that principal, with
 * its roles and prefixes; a certificate no entry names gets nothing; a token sent on top decides.
 */
class ClientCertificatePrincipalTest {
  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void certificateSubject_standsForItsPrincipal_andASentTokenDecides() throws Exception {
    TlsFixture certs = new TlsFixture(dir.resolve("tls"), "ca");
    certs.node("test-node");
    certs.client("svc");
    certs.client("stranger");
    String readToken = Tokens.create();
    Path tokens = dir.resolve("tokens.yaml");
    Files.writeString(tokens, """
        - name: svc
          sha256: %s
          roles: [read, write]
          key-prefixes: ["svc:"]
          cert-subject: "CN=svc"
        - name: reader
          sha256: %s
          roles: [read]
        """.formatted(Tokens.sha256Hex(Tokens.create()), Tokens.sha256Hex(readToken)));
    TallyNode node = TestNodes.start(dir.resolve("data"), "tls-cert", certs.cert("test-node").toString(),
        "tls-key", certs.key("test-node").toString(), "client-ca", certs.caFile().toString(),
        "auth-tokens", tokens.toString());
    open.add(node);

    ManagedChannel svc = track(certs.channel(node.clientPort(), "svc"));
    TestNodes.blocking(svc).increment(IncrementRequest.newBuilder().setKey("svc:a").setAmount(4).build());
    assertThat(get(svc, "svc:a")).isEqualTo(4);
    assertStatus(() -> TestNodes.blocking(svc).increment(IncrementRequest.newBuilder().setKey("other").setAmount(1).build()),
        Status.Code.PERMISSION_DENIED, "outside the key prefixes of principal 'svc'");

    // Chained to client-ca, but no entry names its subject.
    ManagedChannel stranger = track(certs.channel(node.clientPort(), "stranger"));
    assertStatus(() -> get(stranger, "svc:a"), Status.Code.UNAUTHENTICATED, AuthInterceptor.UNAUTHENTICATED);

    // The svc certificate with the reader's token: the token's principal, which may not write.
    Metadata bearer = new Metadata();
    bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + readToken);
    var asReader = TestNodes.blocking(svc).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer));
    assertThat(asReader.get(GetRequest.newBuilder().setKey("svc:a").build()).getValue()).isEqualTo(4);
    assertStatus(() -> asReader.increment(IncrementRequest.newBuilder().setKey("svc:a").setAmount(1).build()),
        Status.Code.PERMISSION_DENIED, "principal 'reader' lacks the write role");
    assertThat(get(svc, "svc:a")).as("nothing refused was applied").isEqualTo(4);
  }

  private ManagedChannel track(ManagedChannel c) {
    open.add(() -> TestNodes.shutdown(c));
    return c;
  }

  private static long get(ManagedChannel c, String key) {
    return TestNodes.blocking(c).get(GetRequest.newBuilder().setKey(key).build()).getValue();
  }
}
