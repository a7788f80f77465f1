package dev.tally.node.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.GetRequest;
import dev.tally.node.api.CallPrincipal;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.security.cert.Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;

/**
 * The interceptor on its own, with a stubbed TLS session: a client certificate's subject stands
 * for the entry with that cert-subject when no token is sent; a sent token always decides.
 */
class AuthInterceptorTest {
  static final String TOKEN = Tokens.create();
  static final TokenSet TOKENS = TokenFile.parse("""
      - name: svc
        cert-subject: "CN=svc,O=Example"
        roles: [read]
      - name: web
        sha256: %s
        roles: [write]
      """.formatted(Tokens.sha256Hex(TOKEN)), "test");

  final AuthInterceptor auth = new AuthInterceptor(() -> TOKENS, new SimpleMeterRegistry());

  /** What happened to one call: the status it was closed with, or the principal the handler saw. */
  static final class Outcome {
    final AtomicReference<Status> closed = new AtomicReference<>();
    final AtomicReference<String> principal = new AtomicReference<>();
  }

  Outcome get(String authorization, SSLSession session) {
    Outcome o = new Outcome();
    MethodDescriptor<GetRequest, dev.tally.api.v1.CounterValue> method = CounterServiceGrpc.getGetMethod();
    Attributes attrs = session == null ? Attributes.EMPTY
        : Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_SSL_SESSION, session).build();
    ServerCall<GetRequest, dev.tally.api.v1.CounterValue> call = new ServerCall<>() {
      @Override
      public void request(int numMessages) {}

      @Override
      public void sendHeaders(Metadata headers) {}

      @Override
      public void sendMessage(dev.tally.api.v1.CounterValue message) {}

      @Override
      public void close(Status status, Metadata trailers) {
        o.closed.set(status);
      }

      @Override
      public boolean isCancelled() {
        return false;
      }

      @Override
      public MethodDescriptor<GetRequest, dev.tally.api.v1.CounterValue> getMethodDescriptor() {
        return method;
      }

      @Override
      public Attributes getAttributes() {
        return attrs;
      }
    };
    Metadata headers = new Metadata();
    if (authorization != null) {
      headers.put(AuthInterceptor.AUTHORIZATION, authorization);
    }
    ServerCallHandler<GetRequest, dev.tally.api.v1.CounterValue> handler = (c, h) -> {
      o.principal.set(CallPrincipal.NAME.get());
      return new ServerCall.Listener<>() {};
    };
    auth.interceptCall(call, headers, handler);
    return o;
  }

  /** An SSLSession whose peer is {@code subject}, or one without a client certificate when null. */
  static SSLSession session(String subject) {
    return (SSLSession) Proxy.newProxyInstance(SSLSession.class.getClassLoader(), new Class<?>[] {SSLSession.class},
        (p, m, args) -> {
          if (m.getName().equals("getPeerPrincipal")) {
            if (subject == null) {
              throw new SSLPeerUnverifiedException("no client certificate");
            }
            return new X500Principal(subject);
          }
          if (m.getName().equals("getPeerCertificates")) {
            if (subject == null) {
              throw new SSLPeerUnverifiedException("no client certificate");
            }
            return new Certificate[0];
          }
          throw new UnsupportedOperationException(m.getName());
        });
  }

  @Test
  void certSubject_standsForItsEntryWhenNoTokenIsSent() {
    Outcome o = get(null, session("CN=svc, O=Example"));
    assertThat(o.closed.get()).isNull();
    assertThat(o.principal.get()).isEqualTo("svc");
  }

  @Test
  void certSubject_unknownOrAbsent_isUnauthenticated() {
    assertThat(get(null, session("CN=intruder")).closed.get().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(get(null, session(null)).closed.get().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(get(null, null).closed.get().getDescription()).isEqualTo(AuthInterceptor.UNAUTHENTICATED);
  }

  @Test
  void sentToken_decidesOverTheCertificate() {
    // A wrong token is not rescued by a certificate that would have matched.
    assertThat(get("Bearer tally_wrong", session("CN=svc,O=Example")).closed.get().getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    // A valid token is its own principal: web has no read role, though svc would have.
    Status s = get("Bearer " + TOKEN, session("CN=svc,O=Example")).closed.get();
    assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(s.getDescription()).contains("principal 'web' lacks the read role");
  }

  @Test
  void requiredRole_deniesUnknownMethodsByDefault() {
    assertThat(AuthInterceptor.requiredRole("tally.v1.CounterService/Get")).contains(Role.READ);
    assertThat(AuthInterceptor.requiredRole("tally.v1.CounterService/IncrementMany")).contains(Role.WRITE);
    assertThat(AuthInterceptor.requiredRole("tally.v1.ClusterService/ClusterStatus")).contains(Role.ADMIN);
    assertThat(AuthInterceptor.requiredRole("grpc.reflection.v1.ServerReflection/ServerReflectionInfo"))
        .contains(Role.ADMIN);
    assertThat(AuthInterceptor.requiredRole("tally.v1.CounterService/SomethingNew")).contains(Role.ADMIN);
    assertThat(AuthInterceptor.requiredRole("grpc.health.v1.Health/Check")).isEmpty();
  }
}
