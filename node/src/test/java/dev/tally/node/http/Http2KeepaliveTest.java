package dev.tally.node.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2PingFrame;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keepalive-time/keepalive-timeout on the HTTP port's HTTP/2 connections: a peer that answers
 * PINGs stays connected, one that does not is closed.
 */
class Http2KeepaliveTest {
  @TempDir
  Path dir;

  @Test
  void silentConnection_isPinged_andClosedWhenThePingIsNotAnswered() throws Exception {
    NioEventLoopGroup group = new NioEventLoopGroup(1);
    try (TallyNode node = TestNodes.start(dir, "http-port", Integer.toString(TestNodes.freePort()),
        "keepalive-time", "200ms", "keepalive-timeout", "300ms")) {
      AtomicInteger pingsAnswered = new AtomicInteger();
      Channel answering = connect(group, node.httpPort(), true, pingsAnswered);
      AtomicInteger pingsSeen = new AtomicInteger();
      Channel deaf = connect(group, node.httpPort(), false, pingsSeen);
      await().atMost(Duration.ofSeconds(10)).until(() -> !deaf.isActive());
      assertThat(pingsSeen.get()).as("it was pinged before being closed").isPositive();
      await().atMost(Duration.ofSeconds(10)).until(() -> pingsAnswered.get() >= 3);
      assertThat(answering.isActive()).as("a peer that answers stays connected").isTrue();
      answering.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
    }
  }

  private static Channel connect(NioEventLoopGroup group, int port, boolean answerPings, AtomicInteger pings)
      throws InterruptedException {
    return new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().autoAckPingFrame(answerPings).build(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2PingFrame p && !p.ack()) {
                  pings.incrementAndGet();
                }
                io.netty.util.ReferenceCountUtil.release(msg);
              }
            });
      }
    }).connect("127.0.0.1", port).sync().channel();
  }
}
