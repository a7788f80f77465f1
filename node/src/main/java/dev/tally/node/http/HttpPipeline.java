package dev.tally.node.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import java.util.concurrent.TimeUnit;

/**
 * Sets up each accepted connection: TLS with ALPN, or cleartext HTTP/1.1 with h2c (prior
 * knowledge or upgrade); HTTP/2 streams become child channels that speak HTTP/1-style objects
 * ({@link Http2StreamFrameToHttpObjectCodec}), so one {@link GatewayHandler} serves both. Every
 * connection is registered with {@link HttpConnections} for its life, closed after
 * max-connection-idle without traffic, and (TLS) after handshake-timeout without a handshake;
 * HTTP/2 connections are pinged after keepalive-time of silence ({@link Http2Keepalive}).
 */
final class HttpPipeline extends ChannelInitializer<SocketChannel> {
  static final AttributeKey<String> CONNECTION_ID = AttributeKey.valueOf("tally-http-connection");
  /** Long enough for a 4096-byte key percent-encoded (3 chars a byte) plus a query. */
  static final int MAX_INITIAL_LINE = 64 << 10;
  static final int MAX_HEADERS = 64 << 10;

  private final GatewayHandler.Shared shared;
  private final SslContext ssl;
  private final ChannelGroup channels;
  private final HttpGateway.Settings settings;

  HttpPipeline(GatewayHandler.Shared shared, SslContext ssl, ChannelGroup channels, HttpGateway.Settings settings) {
    this.shared = shared;
    this.ssl = ssl;
    this.channels = channels;
    this.settings = settings;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    channels.add(ch);
    String id = shared.connections().register(new HttpConnections.Connection(ch.remoteAddress(), null));
    ch.attr(CONNECTION_ID).set(id);
    ch.closeFuture().addListener(f -> shared.connections().remove(id));
    ChannelPipeline p = ch.pipeline();
    p.addLast("idle", new IdleStateHandler(0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
    p.addLast("close-idle", new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
          ctx.close();
          return;
        }
        if (evt instanceof SslHandshakeCompletionEvent done && done.isSuccess()) {
          SslHandler h = ctx.pipeline().get(SslHandler.class);
          shared.connections().update(id, new HttpConnections.Connection(ch.remoteAddress(), h.engine().getSession()));
        }
        super.userEventTriggered(ctx, evt);
      }
    });
    if (ssl != null) {
      SslHandler h = ssl.newHandler(ch.alloc());
      h.setHandshakeTimeoutMillis(settings.handshakeTimeout().toMillis());
      p.addFirst("tls", h);
      p.addLast("alpn", new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
          if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            ctx.pipeline().addLast(http2Codec(), keepalive(), multiplex());
          } else {
            ctx.pipeline().addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192));
            http1(ctx.pipeline());
          }
        }
      });
      return;
    }
    HttpServerCodec source = new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192);
    HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(source, protocol ->
        AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
            ? new Http2ServerUpgradeCodec(http2Codec(), keepalive(), multiplex()) : null, settings.maxBodyBytes()) {
      @Override
      protected boolean shouldHandleUpgradeRequest(io.netty.handler.codec.http.HttpRequest req) {
        // An upgrade request with a body over the limit is answered by the aggregator behind.
        return HttpUtil.getContentLength(req, 0L) <= settings.maxBodyBytes() && super.shouldHandleUpgradeRequest(req);
      }
    };
    p.addLast("h2c", new CleartextHttp2ServerUpgradeHandler(source, upgrade, new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel c) {
        c.pipeline().addLast(http2Codec(), keepalive(), multiplex());
      }
    }));
    http1(p);
  }

  private Http2FrameCodec http2Codec() {
    Http2Settings initial = Http2Settings.defaultSettings()
        .maxConcurrentStreams(settings.maxStreamsPerConnection())
        .maxHeaderListSize(MAX_HEADERS + MAX_INITIAL_LINE);
    return Http2FrameCodecBuilder.forServer().initialSettings(initial).validateHeaders(true).build();
  }

  private Http2Keepalive keepalive() {
    return new Http2Keepalive(settings.keepaliveTime(), settings.keepaliveTimeout());
  }

  private Http2MultiplexHandler multiplex() {
    return new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel stream) {
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true));
        addAggregatorAndHandler(stream.pipeline(), true);
      }
    });
  }

  private void http1(ChannelPipeline p) {
    addAggregatorAndHandler(p, false);
  }

  private void addAggregatorAndHandler(ChannelPipeline p, boolean http2) {
    p.addLast("aggregate", new HttpObjectAggregator(settings.maxBodyBytes()) {
      @Override
      protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        shared.tooLarge(ctx, oversized);
      }
    });
    p.addLast("gateway", new GatewayHandler(shared, http2));
  }
}
