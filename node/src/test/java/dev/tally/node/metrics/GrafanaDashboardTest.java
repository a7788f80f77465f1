package dev.tally.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.testing.ClusterTestSupport;
import dev.tally.node.testing.InProcessCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboards in deploy/grafana/dashboards cannot rot: each is a well-formed dashboard
 * (uid, title, panels with a datasource and PromQL targets, the variables they use defined), and
 * every metric any query selects is on a real node's {@code /metrics}. The nodes are a cluster of
 * two (so the per-peer replication series exist) that took writes, reads and a bad request, ran
 * anti-entropy and saw a GC.
 */
class GrafanaDashboardTest {
    private static final Path DASHBOARDS = Path.of("..", "deploy", "grafana", "dashboards");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([a-zA-Z_][a-zA-Z0-9_]*)");

    @RegisterExtension
    final ClusterTestSupport clusters = new ClusterTestSupport();

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static List<Path> dashboards() throws IOException {
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            List<Path> found = files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            assertThat(found).as("dashboards in " + DASHBOARDS.toAbsolutePath()).isNotEmpty();
            return found;
        }
    }

    @Test
    void everyDashboard_isAGrafanaDashboardWithDatasourcesAndTargets() throws IOException {
        for (Path file : dashboards()) {
            JsonNode d = JSON.readTree(file.toFile());
            String at = file.getFileName().toString();
            assertThat(d.path("uid").asText()).as(at + " uid").matches("[a-zA-Z0-9_-]{1,40}");
            assertThat(d.path("title").asText()).as(at + " title").isNotBlank();
            assertThat(d.path("schemaVersion").isInt()).as(at + " schemaVersion").isTrue();
            Set<String> variables = new HashSet<>(Set.of("__rate_interval", "__interval", "__range"));
            d.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
            assertThat(variables).as(at + " variables").contains("datasource");

            JsonNode panels = d.path("panels");
            assertThat(panels.isArray() && !panels.isEmpty()).as(at + " has panels").isTrue();
            Set<Integer> ids = new HashSet<>();
            int queryPanels = 0;
            for (JsonNode p : panels) {
                String title = at + " panel '" + p.path("title").asText() + "'";
                assertThat(ids.add(p.path("id").asInt(-1))).as(title + " has a unique id").isTrue();
                assertThat(p.path("type").asText()).as(title + " type").isNotBlank();
                assertThat(p.path("gridPos").path("w").asInt()).as(title + " width").isBetween(1, 24);
                assertThat(p.path("gridPos").path("h").asInt()).as(title + " height").isPositive();
                if (p.path("type").asText().equals("row")) {
                    continue;
                }
                queryPanels++;
                assertThat(p.path("title").asText()).as(title).isNotBlank();
                assertThat(p.path("datasource").path("type").asText()).as(title + " datasource").isEqualTo("prometheus");
                assertThat(p.path("datasource").path("uid").asText()).as(title + " datasource").isEqualTo("${datasource}");
                JsonNode targets = p.path("targets");
                assertThat(targets.isArray() && !targets.isEmpty()).as(title + " has targets").isTrue();
                Set<String> refIds = new HashSet<>();
                for (JsonNode t : targets) {
                    assertThat(refIds.add(t.path("refId").asText())).as(title + " refIds unique").isTrue();
                    String expr = t.path("expr").asText();
                    assertThat(expr).as(title + " expr").isNotBlank();
                    assertThat(PromQlMetricNames.of(expr)).as(title + ": " + expr).isNotEmpty();
                    Matcher m = VARIABLE.matcher(expr);
                    while (m.find()) {
                        assertThat(variables).as(title + " uses $" + m.group(1)).contains(m.group(1));
                    }
                }
            }
            assertThat(queryPanels).as(at + " panels with queries").isGreaterThanOrEqualTo(10);
        }
    }

    @Test
    void everyMetricTheDashboardsQuery_isOnARealNodesMetrics() throws Exception {
        Map<String, Set<String>> queried = new TreeMap<>(); // metric -> where
        for (Path file : dashboards()) {
            JsonNode d = JSON.readTree(file.toFile());
            for (JsonNode p : d.path("panels")) {
                for (JsonNode t : p.path("targets")) {
                    for (String name : PromQlMetricNames.of(t.path("expr").asText())) {
                        queried.computeIfAbsent(name, k -> new TreeSet<>()).add(file.getFileName() + ": "
                                + p.path("title").asText());
                    }
                }
            }
            for (JsonNode v : d.path("templating").path("list")) {
                String q = v.path("query").isObject() ? v.path("query").path("query").asText() : v.path("query").asText();
                if (v.path("type").asText().equals("query")) {
                    for (String name : PromQlMetricNames.of(q)) {
                        queried.computeIfAbsent(name, k -> new TreeSet<>()).add(file.getFileName() + ": $"
                                + v.path("name").asText());
                    }
                }
            }
        }
        assertThat(queried).isNotEmpty();

        InProcessCluster c = clusters.start(tmp, new InProcessCluster.Spec().nodes(2, "dc1").withMetrics()
                .set("anti-entropy-interval", "200ms").set("gossip-interval", "50ms"));
        c.awaitMembership();
        for (int i = 0; i < 20; i++) {
            c.stub("n1").increment(IncrementRequest.newBuilder().setKey("k" + (i % 5)).setAmount(1).setRequestId("r" + i).build());
            c.stub("n2").increment(IncrementRequest.newBuilder().setKey("k" + (i % 5)).setAmount(1).setRequestId("s" + i).build());
        }
        c.stub("n1").increment(IncrementRequest.newBuilder().setKey("k0").setAmount(1).setRequestId("r0").build()); // a dedupe hit
        c.stub("n1").get(GetRequest.newBuilder().setKey("k0").build());
        c.awaitValues(Map.of("k0", 8L, "k4", 8L));
        System.gc(); // so jvm_gc_pause_seconds has a sample

        Awaitility.await("every queried metric on /metrics of n1 or n2").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    Set<String> exported = new HashSet<>();
                    exported.addAll(sampleNames(scrape(c.node("n1").metricsPort())));
                    exported.addAll(sampleNames(scrape(c.node("n2").metricsPort())));
                    assertThat(missing(queried, exported)).as("metrics the dashboards query that no node exports")
                            .isEmpty();
                });
        System.out.println("dashboard metrics, all exported: " + queried.keySet());
    }

    /** The check itself: a query of a name that is not exported is reported with the panels using it. */
    @Test
    void missing_namesAnExportedNothingQueriedWithItsPanels() {
        Set<String> exported = sampleNames("""
                # TYPE tally_writes_shed_total counter
                tally_writes_shed_total{dc="dc1",node="n1"} 0.0
                tally_wal_sync_seconds_bucket{dc="dc1",node="n1",le="0.001"} 3
                """);
        Map<String, Set<String>> queried = new TreeMap<>(Map.of(
                "tally_writes_shed_total", Set.of("d.json: Shed"),
                "tally_wal_sync_seconds_bucket", Set.of("d.json: WAL"),
                "tally_wal_sync_seconds", Set.of("d.json: WAL typo"),
                "tally_writes_shed", Set.of("d.json: Shed typo")));

        assertThat(missing(queried, exported)).containsExactly("tally_wal_sync_seconds (d.json: WAL typo)",
                "tally_writes_shed (d.json: Shed typo)");
    }

    static List<String> missing(Map<String, Set<String>> queried, Set<String> exported) {
        List<String> missing = new ArrayList<>();
        queried.forEach((name, where) -> {
            if (!exported.contains(name)) {
                missing.add(name + " (" + String.join("; ", where) + ")");
            }
        });
        return missing;
    }

    private String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The names of the samples in Prometheus text: {@code x_bucket}, {@code x_count}, ... as exported. */
    static Set<String> sampleNames(String text) {
        Set<String> names = new HashSet<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
