package dev.tally.node.http;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The node's HTTP/JSON port: a transcoding gateway over its own gRPC services.
 *
 * <p>Routes come from the services' {@code google.api.http} options ({@link RouteTable}); each
 * HTTP request becomes a call on an in-process channel to an in-process server that serves the
 * very {@link ServerServiceDefinition}s of the client port (auth, metrics, connection interceptors
 * and {@code RequestParsing.guard} included), so validation, authorization, limits, status codes
 * and messages are the gRPC port's. The HTTP client's connection travels with each call
 * ({@link HttpConnections}).
 *
 * <p>Serves HTTP/1.1 and HTTP/2 on one port: cleartext h2 by prior knowledge or h2c upgrade, or,
 * with TLS, HTTPS only with ALPN (h2, http/1.1). Also {@code /v1/openapi.json} and {@code /console}.
 *
 * <p>Threads: one acceptor thread and two event-loop threads ({@code tally-http-*}) own every
 * connection; handlers never block (calls complete on the gRPC side's threads and hand their
 * answer back to the connection's event loop). {@link #close} may be called from any thread.
 */
public final class HttpGateway implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HttpGateway.class);

  /**
   * What the gateway serves and how.
   *
   * @param host bind address
   * @param port 1..65535, or 0 for any free port (tests)
   * @param services the client port's service definitions, unguarded (the gateway guards them)
   * @param guard {@code RequestParsing::guard}, applied outermost as on the client port
   * @param tls the node's key manager for HTTPS, or null for cleartext
   * @param clientCas client-ca's trust manager (client certificates required), or null
   */
  public record Settings(String host, int port, List<ServerServiceDefinition> services,
      UnaryOperator<ServerServiceDefinition> guard, X509ExtendedKeyManager tls, X509ExtendedTrustManager clientCas,
      List<String> corsOrigins, Duration sseHeartbeat, int maxBodyBytes, int maxStreamsPerConnection,
      Duration idleTimeout, Duration handshakeTimeout, Duration keepaliveTime, Duration keepaliveTimeout, String version) {
    public Settings {
      services = List.copyOf(services);
      corsOrigins = List.copyOf(corsOrigins);
      Objects.requireNonNull(guard, "guard");
      Objects.requireNonNull(sseHeartbeat, "sseHeartbeat");
    }
  }

  private final Settings settings;
  private final HttpConnections connections = new HttpConnections();
  private final ChannelGroup channels = new DefaultChannelGroup("tally-http", GlobalEventExecutor.INSTANCE);
  private final EventLoopGroup boss = new NioEventLoopGroup(1, new DefaultThreadFactory("tally-http-accept", true));
  private final EventLoopGroup workers = new NioEventLoopGroup(2, new DefaultThreadFactory("tally-http", true));
  private final Server inProcessServer;
  private final ManagedChannel inProcess;
  private Channel listener;

  private HttpGateway(Settings settings) throws IOException {
    this.settings = settings;
    String name = "tally-http-" + InProcessServerBuilder.generateName();
    InProcessServerBuilder server = InProcessServerBuilder.forName(name).directExecutor()
        .maxInboundMessageSize(Math.max(settings.maxBodyBytes(), 1 << 20) * 2);
    for (ServerServiceDefinition d : settings.services()) {
      server.addService(settings.guard().apply(ServerInterceptors.intercept(d, connections.interceptor())));
    }
    inProcessServer = server.build().start();
    inProcess = InProcessChannelBuilder.forName(name).directExecutor().maxInboundMessageSize(64 << 20).build();
  }

  /**
   * Builds the route table and binds the port.
   *
   * @throws IOException when the port cannot be bound
   * @throws IllegalArgumentException when a google.api.http option is of a shape not served
   */
  public static HttpGateway start(Settings settings, MeterRegistry registry) throws IOException {
    RouteTable routes = RouteTable.from(settings.services());
    HttpGateway g = new HttpGateway(settings);
    try {
      g.bind(routes, registry);
      return g;
    } catch (IOException | RuntimeException e) {
      g.close();
      throw e;
    }
  }

  private void bind(RouteTable routes, MeterRegistry registry) throws IOException {
    SslContext ssl = settings.tls() == null ? null : sslContext();
    GatewayHandler.Shared shared = new GatewayHandler.Shared(routes, inProcess, connections, new Cors(settings.corsOrigins()),
        new StaticAssets(HttpGateway.class.getClassLoader()), OpenApi.document(routes, settings.version()),
        new HttpMetrics(registry), settings.sseHeartbeat(), settings.maxBodyBytes());
    ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 64 << 10))
        .childHandler(new HttpPipeline(shared, ssl, channels, settings));
    try {
      listener = b.bind(new InetSocketAddress(settings.host(), settings.port())).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding", e);
    } catch (Exception e) {
      // Netty rethrows the bind's checked exception unchecked-looking.
      if (e instanceof BindException || e instanceof IOException) {
        throw (IOException) e;
      }
      throw new IOException(e.getMessage(), e);
    }
    log.info("HTTP/JSON gateway on {}://{}:{} ({} routes; HTTP/1.1 and HTTP/2{})", ssl == null ? "http" : "https",
        settings.host(), port(), routes.routes().size(), ssl == null ? ", h2c by prior knowledge or upgrade" : " by ALPN");
  }

  private SslContext sslContext() {
    try {
      SslContextBuilder b = SslContextBuilder.forServer(settings.tls()).sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3", "TLSv1.2")
          .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
      if (settings.clientCas() != null) {
        b.trustManager(settings.clientCas()).clientAuth(ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the HTTP port's TLS context: " + e.getMessage(), e);
    }
  }

  /** The bound port. */
  public int port() {
    return listener == null ? settings.port() : ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** HTTP connections open now (tests). */
  public int openConnections() {
    return connections.size();
  }

  /** Stops accepting connections; requests in flight carry on. */
  public void stopAccepting() {
    if (listener != null) {
      listener.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
  }

  /**
   * Stops: no new connections, in-flight calls get up to {@code grace} to finish, then every
   * connection is closed (Watch streams end) and the threads stop.
   */
  public void close(Duration grace) {
    stopAccepting();
    inProcessServer.shutdown();
    try {
      if (!inProcessServer.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        inProcessServer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inProcessServer.shutdownNow();
    }
    channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    inProcess.shutdownNow();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
