package dev.tally.node.http;

import com.google.protobuf.Message;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One Server-Sent Events stream: a gRPC Watch call on the in-process channel, its values written
 * as {@code event: value} / {@code id: n} / {@code data: <json>} events.
 *
 * <p>Flow control: the next value is requested from the Watch only while the HTTP channel is
 * writable (below its write-buffer high-water mark, or inside the HTTP/2 stream's window), so
 * at most one value waits beyond the bounded buffer. A reader that stops reading leaves the
 * values in the Watch, which keeps only the newest per key and ends the stream with
 * RESOURCE_EXHAUSTED once it falls max-watch-pending-updates behind: memory stays bounded and
 * the slow reader is cut off (an {@code event: error} if it ever reads again).
 *
 * <p>Before the first value the stream is not yet committed: a refusal (bad key, limits, auth)
 * is an ordinary JSON error with its HTTP status. A comment line every http-sse-heartbeat keeps
 * proxies from timing the stream out and finds a dead client. When the client goes away (the
 * connection or the HTTP/2 stream closes) the Watch is cancelled, freeing its slot.
 *
 * <p>Threads: gRPC callbacks hop to the channel's event loop; all state is touched there only.
 */
final class WatchBridge extends ClientCall.Listener<Message> {
  private final GatewayHandler handler;
  private final ChannelHandlerContext ctx;
  private final ClientCall<Message, Message> call;
  private final HttpRoute route;
  private final long start;
  private final String origin;
  private final String method;
  private final boolean keepAlive;
  private boolean committed;
  private boolean ended;
  private boolean wantMore;
  private long nextId = 1;
  private ScheduledFuture<?> heartbeat;
  private final ChannelFutureListener cancelOnClose = f -> cancel();
  private final ChannelDuplexHandler writability = new ChannelDuplexHandler() {
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) throws Exception {
      if (c.channel().isWritable() && wantMore && !ended) {
        wantMore = false;
        call.request(1);
      }
      super.channelWritabilityChanged(c);
    }
  };

  WatchBridge(GatewayHandler handler, ChannelHandlerContext ctx, ClientCall<Message, Message> call, HttpRoute route,
      long start, String origin, String method, boolean keepAlive) {
    this.handler = handler;
    this.ctx = ctx;
    this.call = call;
    this.route = route;
    this.start = start;
    this.origin = origin;
    this.method = method;
    this.keepAlive = keepAlive;
  }

  void start(Metadata headers, Message request) {
    ctx.channel().closeFuture().addListener(cancelOnClose);
    ctx.pipeline().addLast(writability);
    call.start(this, headers);
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
  }

  private void cancel() {
    if (!ended) {
      ended = true;
      stopHeartbeat();
      call.cancel("the HTTP client went away", null);
    }
  }

  @Override
  public void onHeaders(Metadata headers) {
    String node = headers.get(GatewayHandler.NODE);
    ctx.executor().execute(() -> commit(node));
  }

  private void commit(String node) {
    if (committed || ended || !ctx.channel().isActive()) {
      return;
    }
    committed = true;
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    r.headers().set("x-accel-buffering", "no");
    if (node != null) {
      r.headers().set("tally-node", node);
    }
    HttpUtil.setTransferEncodingChunked(r, true);
    handler.shared().cors().decorate(origin, r.headers());
    handler.shared().metrics().record(route.label(), method, 200, start);
    ctx.write(r);
    // How long a browser waits before reconnecting after a drop (EventSource reconnects on its own).
    ctx.writeAndFlush(text("retry: 2000\n\n"));
    long every = handler.shared().heartbeat().toMillis();
    heartbeat = ctx.executor().scheduleAtFixedRate(() -> {
      if (!ended && ctx.channel().isActive()) {
        ctx.writeAndFlush(text(": heartbeat\n\n"));
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onMessage(Message message) {
    String json = JsonMapping.print(message);
    ctx.executor().execute(() -> {
      if (ended || !ctx.channel().isActive()) {
        return;
      }
      commit(null);
      ctx.writeAndFlush(text("event: value\nid: " + nextId++ + "\ndata: " + json + "\n\n"));
      if (ctx.channel().isWritable()) {
        call.request(1);
      } else {
        wantMore = true;
      }
    });
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    ctx.executor().execute(() -> {
      ctx.channel().closeFuture().removeListener(cancelOnClose);
      if (ctx.pipeline().context(writability) != null) {
        ctx.pipeline().remove(writability);
      }
      boolean wasEnded = ended;
      ended = true;
      stopHeartbeat();
      if (wasEnded || !ctx.channel().isActive()) {
        return;
      }
      if (!committed) {
        handler.reply(ctx, start, route.label(), method, origin, keepAlive, GatewayHandler.grpcError(status));
        return;
      }
      String code = status.isOk() ? "OK" : status.getCode().name();
      String message = status.getDescription() == null ? code : status.getDescription();
      ctx.write(text("event: error\ndata: " + HttpExchange.errorJson(code, message) + "\n\n"));
      ctx.writeAndFlush(new DefaultLastHttpContent()).addListener(f -> {
        if (!keepAlive) {
          ctx.close();
        }
      });
      handler.done(ctx);
    });
  }

  private void stopHeartbeat() {
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
  }

  private DefaultHttpContent text(String s) {
    ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    return new DefaultHttpContent(b);
  }
}
