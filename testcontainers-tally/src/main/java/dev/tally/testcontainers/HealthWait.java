package dev.tally.testcontainers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until the node's {@code /health} answers 200 (it does only while the node serves
 * clients), and gives up at once when the container stops: a node that refuses its configuration
 * exits within a second or two, and the test should see its log then, not after the whole startup
 * timeout. Polls every 200 ms from the test thread.
 */
final class HealthWait extends AbstractWaitStrategy {
    private static final int LOG_TAIL_CHARS = 4000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Override
    protected void waitUntilReady() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        String last = "no answer yet";
        while (System.nanoTime() < deadline) {
            if (!waitStrategyTarget.isRunning()) {
                throw new ContainerLaunchException("the Tally node stopped before it served (a setting it refused?);"
                        + " its log ends:\n" + tail(waitStrategyTarget.getLogs()));
            }
            try {
                String url = "http://" + waitStrategyTarget.getHost() + ":"
                        + waitStrategyTarget.getMappedPort(TallyContainer.METRICS_PORT) + "/health";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body().strip();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for the Tally node's /health", e);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ContainerLaunchException("interrupted while waiting for the Tally node's /health", e);
            }
        }
        throw new ContainerLaunchException("the Tally node did not serve within " + startupTimeout + " (/health: " + last
                + "); its log ends:\n" + tail(waitStrategyTarget.getLogs()));
    }

    private static String tail(String log) {
        return log.length() <= LOG_TAIL_CHARS ? log : "..." + log.substring(log.length() - LOG_TAIL_CHARS);
    }
}
