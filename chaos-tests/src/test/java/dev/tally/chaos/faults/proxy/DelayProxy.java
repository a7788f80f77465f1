package dev.tally.chaos.faults.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy that delays every byte by a fixed latency plus jitter, in each direction. It stands
 * in for {@code tc netem} on kernels built without it (the CI machines here): LinkShaping runs it
 * inside a node's container and redirects the node's connections to another DC's nodes through
 * it with iptables REDIRECT. JDK only, so it runs on any JRE image from copied class files.
 *
 * <pre>
 * java -cp DIR dev.tally.chaos.faults.proxy.DelayProxy --delay-ms 100 --jitter-ms 10 --seed 1 \
 *      --pidfile /tmp/p.pid 20000=172.18.0.3:7400 20001=172.18.0.3:7401
 * </pre>
 *
 * <p>Threads: one acceptor per listening port; per proxied connection a reader and a writer per
 * direction. A reader stamps each chunk with its due time and queues it; the writer sends it
 * when due. Due times never decrease, so jitter never reorders bytes. The pid file is written
 * once every port is bound, so whoever waits for it knows the proxy is ready.
 */
public final class DelayProxy implements AutoCloseable {

    /** One listening port and where it forwards to. */
    public record Route(int listenPort, String host, int port) {
        static Route parse(String s) {
            int eq = s.indexOf('=');
            int colon = s.lastIndexOf(':');
            if (eq < 1 || colon < eq) {
                throw new IllegalArgumentException("route must be LISTEN_PORT=HOST:PORT, was " + s);
            }
            return new Route(Integer.parseInt(s.substring(0, eq)), s.substring(eq + 1, colon),
                    Integer.parseInt(s.substring(colon + 1)));
        }
    }

    private static final byte[] EOF = new byte[0];

    private final long delayNanos;
    private final long jitterNanos;
    private final long seed;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Thread> acceptors = new ArrayList<>();
    private volatile boolean closed;

    private DelayProxy(long delayNanos, long jitterNanos, long seed) {
        if (delayNanos < 0 || jitterNanos < 0 || jitterNanos > delayNanos) {
            throw new IllegalArgumentException("need 0 <= jitter <= delay, got delay " + delayNanos + " ns, jitter "
                    + jitterNanos + " ns");
        }
        this.delayNanos = delayNanos;
        this.jitterNanos = jitterNanos;
        this.seed = seed;
    }

    /** Binds every route on {@code bindAddress} and starts forwarding. */
    public static DelayProxy start(InetAddress bindAddress, List<Route> routes, long delayMillis, long jitterMillis,
                                   long seed) throws IOException {
        DelayProxy proxy = new DelayProxy(TimeUnit.MILLISECONDS.toNanos(delayMillis),
                TimeUnit.MILLISECONDS.toNanos(jitterMillis), seed);
        try {
            for (Route r : routes) {
                ServerSocket ss = new ServerSocket();
                ss.setReuseAddress(true);
                ss.bind(new InetSocketAddress(bindAddress, r.listenPort()));
                proxy.listeners.add(ss);
                Thread t = new Thread(() -> proxy.accept(ss, r), "delay-accept-" + r.listenPort());
                t.setDaemon(true);
                proxy.acceptors.add(t);
            }
        } catch (IOException e) {
            proxy.close();
            throw e;
        }
        proxy.acceptors.forEach(Thread::start);
        return proxy;
    }

    /** The port a route listens on (useful with port 0 in tests). */
    public int localPort(int routeIndex) {
        return listeners.get(routeIndex).getLocalPort();
    }

    @Override
    public void close() {
        closed = true;
        for (ServerSocket ss : listeners) {
            try {
                ss.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void accept(ServerSocket ss, Route route) {
        Random random = new Random(seed ^ route.listenPort());
        while (!closed) {
            Socket client;
            try {
                client = ss.accept();
            } catch (IOException e) {
                return; // closed
            }
            long connSeed = random.nextLong();
            Thread t = new Thread(() -> connect(client, route, connSeed), "delay-conn-" + route.listenPort());
            t.setDaemon(true);
            t.start();
        }
    }

    private void connect(Socket client, Route route, long connSeed) {
        Socket upstream = new Socket();
        try {
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            upstream.connect(new InetSocketAddress(route.host(), route.port()), 10_000);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        pipe(client, upstream, new Random(connSeed), "up");
        pipe(upstream, client, new Random(~connSeed), "down");
    }

    private void pipe(Socket from, Socket to, Random random, String direction) {
        LinkedBlockingQueue<Object[]> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            long lastDue = 0;
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                while (true) {
                    int n = in.read(buf);
                    long jitter = jitterNanos == 0 ? 0 : (long) ((random.nextDouble() * 2 - 1) * jitterNanos);
                    long due = Math.max(lastDue, System.nanoTime() + delayNanos + jitter);
                    lastDue = due;
                    if (n < 0) {
                        queue.add(new Object[] {due, EOF});
                        return;
                    }
                    byte[] chunk = new byte[n];
                    System.arraycopy(buf, 0, chunk, 0, n);
                    queue.add(new Object[] {due, chunk});
                }
            } catch (IOException e) {
                queue.add(new Object[] {0L, null}); // abort
            }
        }, "delay-read-" + direction);
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Object[] item = queue.take();
                    byte[] chunk = (byte[]) item[1];
                    if (chunk == null) {
                        break;
                    }
                    long due = (Long) item[0];
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait); // the delay being simulated, not a wait for a condition
                    }
                    if (chunk == EOF) {
                        to.shutdownOutput();
                        return;
                    }
                    out.write(chunk);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // fall through: tear the connection down
            }
            closeQuietly(from);
            closeQuietly(to);
        }, "delay-write-" + direction);
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    /** Command-line entry point used inside containers; runs until killed. */
    public static void main(String[] args) throws Exception {
        long delay = -1;
        long jitter = 0;
        long seed = 0;
        Path pidfile = null;
        String bind = "127.0.0.1";
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--delay-ms" -> delay = Long.parseLong(args[++i]);
                case "--jitter-ms" -> jitter = Long.parseLong(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--pidfile" -> pidfile = Path.of(args[++i]);
                case "--bind" -> bind = args[++i];
                default -> routes.add(Route.parse(args[i]));
            }
        }
        if (delay < 0 || routes.isEmpty()) {
            System.err.println("usage: DelayProxy --delay-ms N [--jitter-ms N] [--seed N] [--pidfile F] [--bind ADDR]"
                    + " LISTEN_PORT=HOST:PORT...");
            System.exit(2);
        }
        DelayProxy proxy = start(InetAddress.getByName(bind), routes, delay, jitter, seed);
        if (pidfile != null) {
            Path tmp = pidfile.resolveSibling(pidfile.getFileName() + ".tmp");
            Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()), StandardCharsets.US_ASCII);
            Files.move(tmp, pidfile, StandardCopyOption.ATOMIC_MOVE);
        }
        System.out.println("delay proxy: " + delay + " ms +- " + jitter + " ms on " + routes);
        for (Thread t : proxy.acceptors) {
            t.join();
        }
    }
}
