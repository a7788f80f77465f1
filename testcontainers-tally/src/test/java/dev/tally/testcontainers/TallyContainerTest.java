package dev.tally.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.client.TallyClient;
import dev.tally.client.TallyException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * One node in a container: settings reach the node, the SDK counts exactly, TLS on refuses
 * plaintext, a refused setting fails the start with the node's own message.
 */
@DockerGate
class TallyContainerTest {

    @Test
    void settingsNameAndDc_reachTheNode_andIncrementsCountExactly() throws Exception {
        try (TallyContainer node = new TallyContainer(TestImage.get()).withName("alpha").withDc("dc7")
                .withSetting("durability", "sync").withSetting("dedupe-window", "5m")) {
            node.start();
            try (TallyClient client = TallyClient.builder().target(node.getTarget()).deadline(Duration.ofSeconds(5))
                    .build()) {
                assertThat(client.increment("orders", 3).value()).isEqualTo(3);
                assertThat(client.decrement("orders", 1).value()).isEqualTo(2);
                assertThat(client.increment("orders", 40).value()).isEqualTo(42);
                assertThat(client.get("orders").value()).isEqualTo(42);
            }
            HttpResponse<String> metrics = get(node.getMetricsUrl());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("node=\"alpha\"").contains("dc=\"dc7\"")
                    .contains("tally_grpc_server_calls_seconds_count");
            assertThat(get(node.getHealthUrl()).statusCode()).isEqualTo(200);
            assertThat(node.getEnvMap()).containsEntry("TALLY_DURABILITY", "sync").containsEntry("TALLY_DEDUPE_WINDOW", "5m");
            System.out.println("image exposes the HTTP port " + TallyContainer.HTTP_PORT + ": " + node.hasHttpPort());
            assertThatThrownBy(node::getCaCertificatePath).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("withTls()");
        }
    }

    @Test
    void tls_clientTrustingTheCaCounts_plaintextClientIsRefused() throws Exception {
        try (TallyContainer node = new TallyContainer(TestImage.get()).withTls()) {
            node.start();
            assertThat(Files.readString(node.getCaCertificatePath())).startsWith("-----BEGIN CERTIFICATE-----");
            try (TallyClient client = TallyClient.builder().target(node.getTarget())
                    .useTls(node.getCaCertificatePath()).deadline(Duration.ofSeconds(5)).build()) {
                assertThat(client.increment("secure", 5).value()).isEqualTo(5);
                assertThat(client.get("secure").value()).isEqualTo(5);
            }
            try (TallyClient plaintext = TallyClient.builder().target(node.getTarget()).usePlaintext()
                    .deadline(Duration.ofSeconds(2)).build()) {
                assertThatThrownBy(() -> plaintext.increment("secure", 1)).isInstanceOf(TallyException.class);
            }
            // The refused write changed nothing.
            try (TallyClient client = TallyClient.builder().target(node.getTarget())
                    .useTls(node.getCaCertificatePath()).build()) {
                assertThat(client.get("secure").value()).isEqualTo(5);
            }
        }
    }

    @Test
    void settingTheNodeRefuses_failsTheStartAtOnce_withTheNodesWordsAboutTheKey() {
        try (TallyContainer node = new TallyContainer(TestImage.get()).withSetting("durability", "sometimes")) {
            long t0 = System.nanoTime();
            assertThatThrownBy(node::start).hasStackTraceContaining("durability").hasStackTraceContaining("sometimes");
            System.out.printf("refused in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
    }

    /** An image that lists 7404 in EXPOSE (as images with the HTTP gateway do) gets it published. */
    @Test
    void imageExposingTheHttpPort_getsItPublished() throws Exception {
        String base = TestImage.get();
        ImageFromDockerfile withHttp = new ImageFromDockerfile("tally-testcontainers-http-port:test", false)
                .withDockerfileFromBuilder(b -> b.from(base).expose(TallyContainer.HTTP_PORT).build());
        try (TallyContainer node = new TallyContainer(DockerImageName.parse(withHttp.get()))) {
            node.start();
            assertThat(node.hasHttpPort()).isTrue();
            assertThat(node.getHttpUrl()).isEqualTo("http://" + node.getHost() + ":" + node.getMappedPort(TallyContainer.HTTP_PORT));
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
