package dev.tally.node.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Request ids scoped to their principal, so that one principal cannot suppress another's write by
 * sending the same request id: with authentication on, the id the writer, the dedupe store and
 * failover resolution (ResolveRequest on prior nodes, which run the same token file) see is
 * {@code @<principal>/<client id>}. Principal names cannot hold {@code /} or {@code @}, so two
 * principals' scoped ids never meet. With authentication off ({@link CallPrincipal#NAME} unset)
 * ids are used as the client sent them, so existing dedupe records stay valid.
 *
 * <p>A scoped id is at most {@link #MAX_SCOPED_BYTES} bytes (the client's 128 plus the prefix).
 * What a client is shown quotes its own id ({@link #showClientId}).
 */
public final class ScopedRequestIds {
  /** 1 + 64 (a principal name) + 1 + the client's id. */
  public static final int MAX_SCOPED_BYTES = Limits.MAX_REQUEST_ID_BYTES + 66;

  private ScopedRequestIds() {}

  /** The id to dedupe {@code clientId} under for the current call; empty stays empty (no dedupe). */
  public static String scope(String clientId) {
    String principal = CallPrincipal.NAME.get();
    if (principal == null || clientId.isEmpty()) {
      return clientId;
    }
    return "@" + principal + "/" + clientId;
  }

  /** {@code error} with the scoped id replaced by the client's own wherever its message quotes it. */
  static StatusRuntimeException showClientId(StatusRuntimeException error, String scoped, String clientId) {
    Status s = error.getStatus();
    if (scoped.equals(clientId) || s.getDescription() == null || !s.getDescription().contains(scoped)) {
      return error;
    }
    return s.withDescription(s.getDescription().replace(scoped, clientId)).asRuntimeException(error.getTrailers());
  }
}
