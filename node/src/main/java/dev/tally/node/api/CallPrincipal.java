package dev.tally.node.api;

import io.grpc.Context;

/**
 * Who is making the current client call, as the authentication interceptor established it. The
 * name is the principal's name in the token file (or the subject of its client certificate), never
 * the token itself; with authentication off every call is {@link #ANONYMOUS}. Limits kept per
 * principal (Watch streams) and request ids (scoped to their principal) read it from here.
 */
public final class CallPrincipal {
  /** Set by the authentication interceptor for the call's context; absent when auth is off. */
  public static final Context.Key<String> NAME = Context.key("tally-principal");
  /** The principal of every call while authentication is off. */
  public static final String ANONYMOUS = "anonymous";

  private CallPrincipal() {}

  /** The current call's principal name, or {@link #ANONYMOUS}. */
  public static String current() {
    String name = NAME.get();
    return name == null ? ANONYMOUS : name;
  }
}
