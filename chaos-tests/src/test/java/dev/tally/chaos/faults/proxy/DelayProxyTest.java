package dev.tally.chaos.faults.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The delay proxy on loopback, in process: bytes arrive intact and in order, never sooner than the delay. */
class DelayProxyTest {

    private ServerSocket echo;
    private Thread echoThread;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        echoThread = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread t = new Thread(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException ignored) {
                            // client went away
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-echo");
        echoThread.setDaemon(true);
        echoThread.start();
    }

    @AfterEach
    void stopEcho() throws IOException, InterruptedException {
        echo.close();
        echoThread.join(5000);
    }

    private DelayProxy proxy(long delayMs, long jitterMs) throws IOException {
        return DelayProxy.start(InetAddress.getLoopbackAddress(),
                List.of(new DelayProxy.Route(0, "127.0.0.1", echo.getLocalPort())), delayMs, jitterMs, 1);
    }

    @Test
    void roundTrip_takesAtLeastTwiceTheDelay() throws IOException {
        try (DelayProxy p = proxy(60, 0); Socket s = new Socket(InetAddress.getLoopbackAddress(), p.localPort(0))) {
            s.setSoTimeout(5000);
            long start = System.nanoTime();
            s.getOutputStream().write('x');
            assertThat(s.getInputStream().read()).isEqualTo('x');
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(millis).as("a lower bound the proxy guarantees").isGreaterThanOrEqualTo(120);
        }
    }

    @Test
    void transfer_withJitter_keepsEveryByteInOrder() throws Exception {
        byte[] payload = new byte[512 * 1024];
        new Random(99).nextBytes(payload);
        try (DelayProxy p = proxy(5, 5); Socket s = new Socket(InetAddress.getLoopbackAddress(), p.localPort(0))) {
            s.setSoTimeout(10_000);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < payload.length; i += 1000) {
                        out.write(payload, i, Math.min(1000, payload.length - i));
                    }
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // the read side reports the failure
                }
            });
            writer.start();
            InputStream in = s.getInputStream();
            byte[] back = in.readAllBytes();  // EOF propagates through both directions
            writer.join(10_000);

            assertThat(back).isEqualTo(payload);
        }
    }

    @Test
    void upstreamDown_closesTheClientConnection() throws IOException {
        int deadPort;
        try (ServerSocket tmp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = tmp.getLocalPort();
        }
        try (DelayProxy p = DelayProxy.start(InetAddress.getLoopbackAddress(),
                List.of(new DelayProxy.Route(0, "127.0.0.1", deadPort)), 1, 0, 1);
             Socket s = new Socket(InetAddress.getLoopbackAddress(), p.localPort(0))) {
            s.setSoTimeout(5000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void route_parse_acceptsListenEqualsHostColonPort_andRejectsGarbage() {
        assertThat(DelayProxy.Route.parse("20000=172.18.0.3:7401"))
                .isEqualTo(new DelayProxy.Route(20000, "172.18.0.3", 7401));
        assertThatThrownBy(() -> DelayProxy.Route.parse("7401"))
                .hasMessage("route must be LISTEN_PORT=HOST:PORT, was 7401");
    }

    @Test
    void start_jitterAboveDelay_rejected() {
        assertThatThrownBy(() -> proxy(1, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("need 0 <= jitter <= delay");
    }
}
