package dev.tally.node.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * keepalive-time and keepalive-timeout for the HTTP port's HTTP/2 connections, as the gRPC port
 * has them: a connection that has sent nothing for keepalive-time gets a PING, and one that does
 * not answer it within keepalive-timeout is closed (its streams, and their Watch calls, end).
 * HTTP/1.1 has no ping; there max-connection-idle and SSE heartbeats find dead peers.
 *
 * <p>Sits between the frame codec and the multiplexer, so it sees every frame read. Threads: the
 * connection's event loop only.
 */
final class Http2Keepalive extends ChannelDuplexHandler {
  private final long timeNanos;
  private final long timeoutMillis;
  private long lastRead = System.nanoTime();
  private long pingContent;
  private ScheduledFuture<?> check;
  private ScheduledFuture<?> deadline;

  Http2Keepalive(java.time.Duration time, java.time.Duration timeout) {
    this.timeNanos = time.toNanos();
    this.timeoutMillis = timeout.toMillis();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    long every = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeNanos));
    check = ctx.executor().scheduleWithFixedDelay(() -> maybePing(ctx), every, every, TimeUnit.MILLISECONDS);
  }

  private void maybePing(ChannelHandlerContext ctx) {
    if (deadline != null || System.nanoTime() - lastRead < timeNanos || !ctx.channel().isActive()) {
      return;
    }
    pingContent = ThreadLocalRandom.current().nextLong();
    ctx.writeAndFlush(new DefaultHttp2PingFrame(pingContent));
    deadline = ctx.executor().schedule(() -> {
      ctx.close();
    }, timeoutMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    lastRead = System.nanoTime();
    if (msg instanceof Http2PingFrame ping && ping.ack()) {
      if (deadline != null && ping.content() == pingContent) {
        deadline.cancel(false);
        deadline = null;
      }
      return;
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    stop();
    super.channelInactive(ctx);
  }

  private void stop() {
    if (check != null) {
      check.cancel(false);
    }
    if (deadline != null) {
      deadline.cancel(false);
    }
  }
}
