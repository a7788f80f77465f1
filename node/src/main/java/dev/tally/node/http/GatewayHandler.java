package dev.tally.node.http;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Answers the requests of one HTTP/1.1 connection or one HTTP/2 stream: routes them, transcodes
 * them into a call on the in-process channel and the answer back into JSON (or an SSE stream,
 * {@link WatchBridge}).
 *
 * <p>Threads: everything here runs on the channel's event loop; gRPC callbacks (from the node's
 * threads) are handed back to it with {@code execute}. HTTP/1.1 requests on one connection are
 * answered one at a time in order (pipelined ones wait in {@code queued}).
 */
final class GatewayHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> NODE = Metadata.Key.of("tally-node", Metadata.ASCII_STRING_MARSHALLER);
  private static final int SHOWN_PATH_CHARS = 200;

  /** What every connection's handler shares; immutable or thread-safe. */
  record Shared(RouteTable routes, ManagedChannel channel, HttpConnections connections, Cors cors, StaticAssets assets,
      String openApi, HttpMetrics metrics, Duration heartbeat, int maxBodyBytes) {

    /** The aggregator's answer to a body over max-client-message-bytes: 413, JSON, nothing applied. */
    void tooLarge(ChannelHandlerContext ctx, HttpMessage m) {
      FullHttpResponse r = HttpExchange.error(413, Status.Code.RESOURCE_EXHAUSTED.name(), "the request body is larger than "
          + maxBodyBytes + " bytes (max-client-message-bytes); nothing was applied");
      cors.decorate(m.headers().get(HttpHeaderNames.ORIGIN), r.headers());
      metrics.record(HttpMetrics.UNMATCHED, m instanceof io.netty.handler.codec.http.HttpRequest q ? q.method().name() : "OTHER",
          413, System.nanoTime());
      // The body is still arriving: close after answering rather than read it.
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private final Shared shared;
  private final boolean http2;
  private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
  private boolean busy;

  GatewayHandler(Shared shared, boolean http2) {
    this.shared = shared;
    this.http2 = http2;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    if (busy) {
      queued.add(req.retain());
      return;
    }
    busy = true;
    handle(ctx, req);
  }

  /** Called on the event loop when the current request's response is complete. */
  void done(ChannelHandlerContext ctx) {
    busy = false;
    FullHttpRequest next = queued.poll();
    if (next != null) {
      busy = true;
      try {
        handle(ctx, next);
      } finally {
        next.release();
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    queued.forEach(FullHttpRequest::release);
    queued.clear();
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Connection resets and TLS failures: nothing to answer. Never log the request (tokens).
    ctx.close();
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest req) {
    long start = System.nanoTime();
    String method = req.method().name();
    boolean keepAlive = http2 || HttpUtil.isKeepAlive(req);
    String origin = req.headers().get(HttpHeaderNames.ORIGIN);
    if (!req.decoderResult().isSuccess()) {
      reply(ctx, start, HttpMetrics.UNMATCHED, method, origin, false,
          HttpExchange.error(400, "INVALID_ARGUMENT", "the request could not be parsed as HTTP"));
      return;
    }
    String uri = req.uri();
    if (!uri.startsWith("/")) {
      // absolute-form (a proxy's request line): keep only the path and query
      int scheme = uri.indexOf("://");
      int slash = scheme < 0 ? -1 : uri.indexOf('/', scheme + 3);
      uri = slash < 0 ? "/" : uri.substring(slash);
    }
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? "" : uri.substring(q + 1);
    int hash = rawQuery.indexOf('#');
    if (hash >= 0) {
      rawQuery = rawQuery.substring(0, hash);
    }

    if (req.method().equals(HttpMethod.OPTIONS)) {
      options(ctx, start, path, origin, req);
      return;
    }
    if (StaticAssets.handles(path)) {
      if (!method.equals("GET") && !method.equals("HEAD")) {
        reply(ctx, start, StaticAssets.PREFIX, method, origin, keepAlive, notAllowed(method, path, Set.of("GET")));
        return;
      }
      Optional<StaticAssets.Asset> asset = shared.assets().find(path);
      FullHttpResponse r = asset.map(a -> HttpExchange.response(200, a.contentType(), a.bytes()))
          .orElseGet(() -> HttpExchange.error(404, "NOT_FOUND", "no console file at " + shown(path)));
      if (asset.isPresent()) {
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      }
      reply(ctx, start, StaticAssets.PREFIX, method, origin, keepAlive, r);
      return;
    }
    if (path.equals(OpenApi.PATH)) {
      FullHttpResponse r = method.equals("GET") || method.equals("HEAD") ? HttpExchange.json(200, shared.openApi())
          : notAllowed(method, path, Set.of("GET"));
      reply(ctx, start, OpenApi.PATH, method, origin, keepAlive, r);
      return;
    }
    RouteTable.Lookup found = shared.routes().find(method, path);
    if (found instanceof RouteTable.NotFound) {
      reply(ctx, start, HttpMetrics.UNMATCHED, method, origin, keepAlive, HttpExchange.error(404, "NOT_FOUND",
          "no route for " + shownMethod(method) + " " + shown(path) + " (the routes are listed in " + OpenApi.PATH + ")"));
      return;
    }
    if (found instanceof RouteTable.WrongMethod w) {
      reply(ctx, start, HttpMetrics.UNMATCHED, method, origin, keepAlive, notAllowed(method, path, w.allowed()));
      return;
    }
    HttpRoute route = ((RouteTable.Found) found).route();
    if (route.serverStreaming() && method.equals("HEAD")) {
      // A stream has no length to describe; HEAD would hold a Watch open for nothing.
      reply(ctx, start, route.label(), method, origin, keepAlive, notAllowed(method, path, Set.of(route.httpMethod())));
      return;
    }
    Metadata headers = new Metadata();
    Message request;
    try {
      RequestTranscoder.Query query = RequestTranscoder.Query.parse(rawQuery);
      String token = route.serverStreaming() ? query.take(RequestTranscoder.ACCESS_TOKEN) : null;
      byte[] body = new byte[req.content().readableBytes()];
      req.content().getBytes(req.content().readerIndex(), body);
      if (body.length > 0 && !isJson(req.headers().get(HttpHeaderNames.CONTENT_TYPE))) {
        reply(ctx, start, route.label(), method, origin, keepAlive, HttpExchange.error(415, "INVALID_ARGUMENT",
            "a request body must be sent with 'Content-Type: application/json'; nothing was applied"));
        return;
      }
      request = RequestTranscoder.build(route, ((RouteTable.Found) found).rawVariables(), query, body);
      String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
      if (authorization != null) {
        headers.put(AUTHORIZATION, authorization);
      } else if (token != null) {
        headers.put(AUTHORIZATION, "Bearer " + token);
      }
    } catch (BadRequest e) {
      reply(ctx, start, route.label(), method, origin, keepAlive, HttpExchange.error(400, "INVALID_ARGUMENT", e.getMessage()));
      return;
    } catch (IllegalArgumentException e) {
      // Metadata refuses header values gRPC cannot carry (control characters in Authorization).
      reply(ctx, start, route.label(), method, origin, keepAlive, HttpExchange.error(400, "INVALID_ARGUMENT",
          "the Authorization header holds characters that cannot be forwarded"));
      return;
    }
    Channel connection = http2 ? ctx.channel().parent() : ctx.channel();
    headers.put(HttpConnections.CONNECTION, connection.attr(HttpPipeline.CONNECTION_ID).get());
    ClientCall<Message, Message> call = shared.channel().newCall(route.method(), CallOptions.DEFAULT);
    if (route.serverStreaming()) {
      new WatchBridge(this, ctx, call, route, start, origin, method, keepAlive).start(headers, request);
      return;
    }
    unary(ctx, call, route, start, method, origin, keepAlive, headers, request);
  }

  private void unary(ChannelHandlerContext ctx, ClientCall<Message, Message> call, HttpRoute route, long start,
      String method, String origin, boolean keepAlive, Metadata headers, Message request) {
    ChannelFutureListener cancelOnClose = f -> call.cancel("the HTTP client went away", null);
    ctx.channel().closeFuture().addListener(cancelOnClose);
    call.start(new ClientCall.Listener<>() {
      private Message response;
      private String node;

      @Override
      public void onHeaders(Metadata h) {
        node = h.get(NODE);
      }

      @Override
      public void onMessage(Message message) {
        response = message;
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        String answeredBy = node != null ? node : trailers.get(NODE);
        Message r = response;
        ctx.executor().execute(() -> {
          ctx.channel().closeFuture().removeListener(cancelOnClose);
          if (!ctx.channel().isActive()) {
            return;
          }
          FullHttpResponse out = status.isOk() && r != null ? HttpExchange.json(200, JsonMapping.print(r)) : grpcError(status);
          if (answeredBy != null) {
            out.headers().set("tally-node", answeredBy);
          }
          reply(ctx, start, route.label(), method, origin, keepAlive, out);
        });
      }
    }, headers);
    call.request(2);
    call.sendMessage(request);
    call.halfClose();
  }

  static FullHttpResponse grpcError(Status status) {
    int http = HttpStatuses.of(status.getCode());
    return HttpExchange.error(http == 200 ? 500 : http, status.getCode().name(),
        status.getDescription() == null ? status.getCode().name() : status.getDescription());
  }

  private void options(ChannelHandlerContext ctx, long start, String path, String origin, FullHttpRequest req) {
    String requested = req.headers().get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    FullHttpResponse r = HttpExchange.response(204, "text/plain", new byte[0]);
    r.headers().remove(HttpHeaderNames.CONTENT_TYPE);
    r.headers().set(HttpHeaderNames.ALLOW, allowFor(path));
    if (requested != null && shared.cors().allows(origin)) {
      shared.cors().preflight(origin, r.headers());
    }
    // Not decorated again in reply(): a preflight for a refused origin gets no CORS headers.
    shared.metrics().record(requested == null ? HttpMetrics.UNMATCHED : "preflight", "OPTIONS", 204, start);
    HttpExchange.write(ctx, r, http2 || HttpUtil.isKeepAlive(req));
    done(ctx);
  }

  private String allowFor(String path) {
    if (StaticAssets.handles(path) || path.equals(OpenApi.PATH)) {
      return "GET, HEAD, OPTIONS";
    }
    RouteTable.Lookup l = shared.routes().find("OPTIONS", path);
    if (l instanceof RouteTable.WrongMethod w) {
      return String.join(", ", w.allowed()) + ", OPTIONS";
    }
    return "OPTIONS";
  }

  private static FullHttpResponse notAllowed(String method, String path, Set<String> allowed) {
    String last = path.substring(path.lastIndexOf('/') + 1);
    String hint = last.contains(":") ? " (if ':" + shown(last.substring(last.lastIndexOf(':') + 1))
        + "' was meant as a verb, it is not one of this path's; a ':' inside a key is best sent as %3A)" : "";
    FullHttpResponse r = HttpExchange.error(405, "UNIMPLEMENTED", shownMethod(method) + " is not allowed on " + shown(path)
        + "; allowed: " + String.join(", ", allowed) + hint);
    r.headers().set(HttpHeaderNames.ALLOW, String.join(", ", allowed) + ", OPTIONS");
    return r;
  }

  /** Writes a whole response (CORS headers added for an allowed origin), counts it, and moves on to the next request. */
  void reply(ChannelHandlerContext ctx, long start, String route, String method, String origin, boolean keepAlive,
      FullHttpResponse r) {
    shared.cors().decorate(origin, r.headers());
    shared.metrics().record(route, method, r.status().code(), start);
    if (method.equals("HEAD")) {
      r.content().clear();
    }
    HttpExchange.write(ctx, r, keepAlive);
    done(ctx);
  }

  Shared shared() {
    return shared;
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String t = contentType.toLowerCase(Locale.ROOT).strip();
    int semi = t.indexOf(';');
    String base = (semi < 0 ? t : t.substring(0, semi)).strip();
    return base.equals("application/json") || base.endsWith("+json");
  }

  private static String shown(String rawPath) {
    String p = rawPath.length() > SHOWN_PATH_CHARS ? rawPath.substring(0, SHOWN_PATH_CHARS) + "..." : rawPath;
    return new String(p.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
  }

  private static String shownMethod(String method) {
    return method.length() > 16 ? method.substring(0, 16) + "..." : method;
  }
}
