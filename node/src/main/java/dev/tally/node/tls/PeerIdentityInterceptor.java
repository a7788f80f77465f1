package dev.tally.node.tls;

import dev.tally.node.peer.PeerHeaders;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.tally.peer.v1.NodeRef;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the mutual-TLS peer port: a call must come from the node its certificate names. The caller's
 * {@code tally-node} header, and the {@code from} NodeRef of every request message that has one,
 * must be a name of the caller's certificate (CN or DNS SAN); otherwise the call is refused with
 * PERMISSION_DENIED before the service sees it (the message names the names, never the cluster
 * id). So a node with a valid certificate cannot push, sync, claim or resolve as another member.
 */
final class PeerIdentityInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(PeerIdentityInterceptor.class);
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Set<String> names = callerNames(call);
    String claimed = headers.get(PeerHeaders.FROM_NODE);
    if (names.isEmpty()) {
      return refuse(call, "peer call refused: the caller presented no certificate naming a node");
    }
    if (claimed == null || !names.contains(claimed)) {
      return refuse(call, "peer call refused: the caller's certificate names " + names + ", but the call claims to come from "
          + (claimed == null ? "no node (no tally-node header)" : "node '" + claimed + "'"));
    }
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean closed;

      @Override
      public void onMessage(Q message) {
        if (closed) {
          return;
        }
        String from = fromName(message);
        if (from != null && !names.contains(from)) {
          closed = true;
          String why = "peer call refused: the caller's certificate names " + names + ", but the message is from node '"
              + from + "'";
          warn(why, call);
          call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!closed) {
          super.onHalfClose();
        }
      }
    };
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    warn(why, call);
    call.close(Status.PERMISSION_DENIED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private void warn(String why, ServerCall<?, ?> call) {
    // Once per distinct refusal at WARN (bounded): an impostor keeps calling.
    if (warned.size() < 1000 && warned.add(why)) {
      log.warn("{} (method {}, from {})", why, call.getMethodDescriptor().getFullMethodName(),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    } else {
      log.debug("{}", why);
    }
  }

  private static Set<String> callerNames(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Set.of();
    }
    try {
      Certificate[] certs = session.getPeerCertificates();
      if (certs.length > 0 && certs[0] instanceof X509Certificate leaf) {
        return CertNames.of(leaf);
      }
    } catch (SSLPeerUnverifiedException e) {
      // no client certificate: no names
    }
    return Set.of();
  }

  /** The name in a request's {@code from} NodeRef, or null when it has none. */
  private static String fromName(Object message) {
    if (!(message instanceof Message m)) {
      return null;
    }
    FieldDescriptor f = m.getDescriptorForType().findFieldByName("from");
    if (f == null || f.getType() != FieldDescriptor.Type.MESSAGE || f.isRepeated() || !m.hasField(f)) {
      return null;
    }
    Object v = m.getField(f);
    return v instanceof NodeRef ref ? ref.getName() : null;
  }
}
