package dev.tally.chaos.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * When a started node counts as ready. Checked from the host through the published port, with
 * a request that needs the process to answer: docker's userland proxy accepts TCP connections on
 * the host port even while nothing listens in the container, so a bare connect proves nothing.
 */
@FunctionalInterface
public interface Readiness {

    boolean isReady(ClusterNode node);

    /** Ready as soon as the container runs. */
    static Readiness none() {
        return node -> true;
    }

    /** {@code GET path} on the published {@code containerPort} answers HTTP 200 (the node's /health). */
    static Readiness httpOk(int containerPort, String path) {
        return node -> {
            Optional<InetSocketAddress> address = node.hostAddress(containerPort);
            if (address.isEmpty()) {
                return false;
            }
            try (Socket s = new Socket()) {
                s.connect(address.get(), 1000);
                s.setSoTimeout(1000);
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                byte[] head = s.getInputStream().readNBytes(12);
                return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.") && new String(head,
                        StandardCharsets.US_ASCII).endsWith(" 200");
            } catch (IOException e) {
                return false;
            }
        };
    }

    /** A line sent to the published {@code containerPort} comes back unchanged (the smoke tests' echo server). */
    static Readiness echo(int containerPort) {
        return node -> {
            Optional<InetSocketAddress> address = node.hostAddress(containerPort);
            if (address.isEmpty()) {
                return false;
            }
            try (Socket s = new Socket()) {
                s.connect(address.get(), 1000);
                s.setSoTimeout(1000);
                s.getOutputStream().write("ready?\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                return new String(in.readNBytes(7), StandardCharsets.US_ASCII).equals("ready?\n");
            } catch (IOException e) {
                return false;
            }
        };
    }
}
