package dev.tally.chaos.smoke;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The stand-in for a node in the smoke tests: echoes every byte back, on the given port. Runs
 * inside tally-runtime:17 containers from its copied class file (JDK only, one class).
 * Threads: the main thread accepts; one thread per connection echoes.
 */
public final class TcpEchoServer {

    private TcpEchoServer() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        try (ServerSocket ss = new ServerSocket(port)) {
            System.out.println("echo server listening on " + port);
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> echo(s), "echo");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void echo(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[8192];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // peer went away
        }
    }
}
