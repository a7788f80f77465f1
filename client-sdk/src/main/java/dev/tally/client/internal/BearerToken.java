package dev.tally.client.internal;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Sends {@code authorization: Bearer <token>} on every call, as gRPC call credentials. Internal.
 * The token is never logged, and {@link #toString()} does not show it.
 */
public final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Metadata headers = new Metadata();

  public BearerToken(String token) {
    Objects.requireNonNull(token, "token");
    headers.put(AUTHORIZATION, "Bearer " + token);
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    Metadata copy = new Metadata();
    copy.merge(headers);
    applier.apply(copy);
  }

  @Override
  public String toString() {
    return "BearerToken[redacted]";
  }

  /** {@code channels} whose channels send this token on every call. */
  ChannelFactory wrap(ChannelFactory channels) {
    return (address, authority) -> new WithToken(channels.create(address, authority), this);
  }

  /** A channel that adds the credentials to every call; everything else is the wrapped channel's. */
  private static final class WithToken extends ManagedChannel {
    private final ManagedChannel channel;
    private final CallCredentials credentials;

    WithToken(ManagedChannel channel, CallCredentials credentials) {
      this.channel = channel;
      this.credentials = credentials;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      return channel.newCall(method, options.withCallCredentials(credentials));
    }

    @Override
    public String authority() {
      return channel.authority();
    }

    @Override
    public ManagedChannel shutdown() {
      channel.shutdown();
      return this;
    }

    @Override
    public boolean isShutdown() {
      return channel.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return channel.isTerminated();
    }

    @Override
    public ManagedChannel shutdownNow() {
      channel.shutdownNow();
      return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return channel.awaitTermination(timeout, unit);
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
      return channel.getState(requestConnection);
    }

    @Override
    public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
      channel.notifyWhenStateChanged(source, callback);
    }

    @Override
    public void resetConnectBackoff() {
      channel.resetConnectBackoff();
    }

    @Override
    public void enterIdle() {
      channel.enterIdle();
    }
  }
}
