package dev.tally.node.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writing whole responses: JSON bodies and {@code {"code","message"}} errors. Event-loop only. */
final class HttpExchange {
  private HttpExchange() {}

  static FullHttpResponse response(int status, String contentType, byte[] body) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status, reason(status)),
        Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    r.headers().set("x-content-type-options", "nosniff");
    return r;
  }

  static FullHttpResponse json(int status, String json) {
    return response(status, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  static String errorJson(String code, String message) {
    try {
      return JsonMapping.MAPPER.writeValueAsString(Map.of("code", code, "message", message == null ? code : message));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static FullHttpResponse error(int status, String code, String message) {
    return json(status, errorJson(code, message));
  }

  private static String reason(int status) {
    return status == 499 ? "Client Closed Request" : HttpResponseStatus.valueOf(status).reasonPhrase();
  }

  /** Writes and, unless keep-alive, closes after. */
  static void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var f = ctx.writeAndFlush(r);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
