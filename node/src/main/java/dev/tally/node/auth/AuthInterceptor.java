package dev.tally.node.auth;

import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.ExportRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.node.api.CallPrincipal;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Authentication and authorization on the client port, for a node with {@code auth-tokens}.
 *
 * <p>Every call but health names a principal: {@code authorization: Bearer <token>} metadata, or
 * a client certificate whose subject is an entry's {@code cert-subject} when no token is sent.
 * Without one the call is UNAUTHENTICATED with {@link #UNAUTHENTICATED}, the same words for a
 * missing, malformed or unknown token. The principal's name goes into the call's context under
 * {@link CallPrincipal#NAME} (per-principal limits and scoped request ids read it there).
 *
 * <p>Roles: read for Get, GetMany, Watch; write for Increment, Decrement, IncrementMany; admin for
 * AdminService's Export (named, since it reads every counter) and every other method on the port
 * (ClusterService, reflection, anything added later: deny by default). A token without the role is PERMISSION_DENIED naming the role. A token with
 * key-prefixes has its request's keys checked when the request message arrives, before the
 * service sees it: one key outside the prefixes (any item of a batch) refuses the whole call with
 * PERMISSION_DENIED naming the key and the prefixes, so nothing of it is applied. An Export by
 * such a token must name a prefix inside one of the token's ({@code prefix} of the request), so it
 * can only list keys the token may touch.
 *
 * <p>Install it innermost (first in {@code ServerInterceptors.intercept}), inside metrics, so that
 * refusals are counted with their codes, and outside {@code RequestParsing.guard}'s unwrapping so
 * it sees the real request types. Threads: runs on the event loop; nothing here blocks.
 */
public final class AuthInterceptor implements ServerInterceptor {
  /** The one answer for every call without a valid credential. */
  public static final String UNAUTHENTICATED = "missing or invalid credentials: send the metadata"
      + " 'authorization: Bearer <token>' with a token listed in this node's auth-tokens file";
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String COUNTER = "tally.v1.CounterService/";
  /** The method AdminService's Export is called by (listed so its role is explicit, not only the default). */
  public static final String EXPORT = "tally.v1.AdminService/Export";
  private static final Map<String, Role> ROLES = Map.of(
      EXPORT, Role.ADMIN,
      COUNTER + "Get", Role.READ,
      COUNTER + "GetMany", Role.READ,
      COUNTER + "Watch", Role.READ,
      COUNTER + "Increment", Role.WRITE,
      COUNTER + "Decrement", Role.WRITE,
      COUNTER + "IncrementMany", Role.WRITE);
  private static final int SHOWN_KEY_CHARS = 64;

  private final Supplier<TokenSet> tokens;
  private final Counter unauthenticated;
  private final MeterRegistry registry;

  public AuthInterceptor(Supplier<TokenSet> tokens, MeterRegistry registry) {
    this.tokens = tokens;
    this.registry = registry;
    this.unauthenticated = refusals("unauthenticated", "");
  }

  /** The role a method needs; empty for the methods open to everyone (health). */
  public static Optional<Role> requiredRole(String fullMethodName) {
    if (fullMethodName.startsWith("grpc.health.v1.Health/")) {
      return Optional.empty();
    }
    return Optional.of(ROLES.getOrDefault(fullMethodName, Role.ADMIN));
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Optional<Role> role = requiredRole(method);
    if (role.isEmpty()) {
      return next.startCall(call, headers);
    }
    Optional<TokenEntry> who = Credentials.authenticate(tokens.get(), headers.get(AUTHORIZATION),
        call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (who.isEmpty()) {
      unauthenticated.increment();
      return refuse(call, Status.UNAUTHENTICATED.withDescription(UNAUTHENTICATED));
    }
    TokenEntry entry = who.get();
    if (!entry.has(role.get())) {
      refusals("role", entry.name()).increment();
      return refuse(call, Status.PERMISSION_DENIED.withDescription("principal '" + entry.name() + "' lacks the "
          + role.get().configName() + " role that " + method + " needs (it has: " + entry.rolesText()
          + "); nothing was applied"));
    }
    Context context = Context.current().withValue(CallPrincipal.NAME, entry.name());
    ServerCall.Listener<ReqT> inner = Contexts.interceptCall(context, call, headers, next);
    return entry.keyPrefixes().isEmpty() ? inner : new KeyCheck<>(inner, call, entry);
  }

  private Counter refusals(String reason, String principal) {
    return Counter.builder("tally.auth.refusals").tag("reason", reason).tag("principal", principal)
        .description("Client calls refused by authentication (unauthenticated) or authorization (role, prefix)")
        .register(registry);
  }

  private static <ReqT, RespT> ServerCall.Listener<ReqT> refuse(ServerCall<ReqT, RespT> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** Refuses a request naming a key outside the principal's prefixes; the service never sees it. */
  private final class KeyCheck<ReqT, RespT> extends SimpleForwardingServerCallListener<ReqT> {
    private final ServerCall<ReqT, RespT> call;
    private final TokenEntry entry;
    private boolean refused;

    KeyCheck(ServerCall.Listener<ReqT> inner, ServerCall<ReqT, RespT> call, TokenEntry entry) {
      super(inner);
      this.call = call;
      this.entry = entry;
    }

    @Override
    public void onMessage(ReqT message) {
      if (refused) {
        return;
      }
      String denied = deniedKey(message);
      if (denied != null) {
        refused = true;
        refusals("prefix", entry.name()).increment();
        call.close(Status.PERMISSION_DENIED.withDescription(denied), new Metadata());
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }

    /** Why the request's keys are refused, or null when every one is allowed. */
    private String deniedKey(Object message) {
      if (message instanceof GetRequest r) {
        return check("key", r.getKey());
      }
      if (message instanceof IncrementRequest r) {
        return check("key", r.getKey());
      }
      if (message instanceof DecrementRequest r) {
        return check("key", r.getKey());
      }
      if (message instanceof GetManyRequest r) {
        for (int i = 0; i < r.getKeysCount(); i++) {
          String why = check("keys[" + i + "]", r.getKeys(i));
          if (why != null) {
            return why;
          }
        }
        return null;
      }
      if (message instanceof WatchRequest r) {
        for (int i = 0; i < r.getKeysCount(); i++) {
          String why = check("keys[" + i + "]", r.getKeys(i));
          if (why != null) {
            return why;
          }
        }
        return null;
      }
      if (message instanceof IncrementManyRequest r) {
        for (int i = 0; i < r.getItemsCount(); i++) {
          String why = check("items[" + i + "].key", r.getItems(i).getKey());
          if (why != null) {
            return why;
          }
        }
        return null;
      }
      if (message instanceof ExportRequest r) {
        return check("prefix", r.getPrefix());
      }
      // A method that names no keys: only admin methods are without, and they have no prefixes to keep.
      return null;
    }

    private String check(String field, String key) {
      if (entry.allowsKey(key)) {
        return null;
      }
      String shown = key.length() > SHOWN_KEY_CHARS ? key.substring(0, SHOWN_KEY_CHARS) + "..." : key;
      return field + " '" + shown + "' is outside the key prefixes of principal '" + entry.name() + "' ("
          + entry.prefixesText() + "); nothing was applied";
    }
  }
}
