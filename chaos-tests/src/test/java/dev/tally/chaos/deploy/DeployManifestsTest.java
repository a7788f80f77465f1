package dev.tally.chaos.deploy;

import static dev.tally.chaos.deploy.DeployFiles.list;
import static dev.tally.chaos.deploy.DeployFiles.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The compose file, Kubernetes manifests and example config cannot be run here (no compose
 * plugin in CI, no Kubernetes): they are parsed and checked for the facts that make them work.
 */
class DeployManifestsTest {

    @Test
    void everyYamlFileUnderDeploy_parses() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DeployFiles.deploy())) {
            files = walk.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
                    .filter(p -> !p.toString().contains("/target/")).toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(4);
        for (Path f : files) {
            assertThat(DeployFiles.yamlDocuments(DeployFiles.deploy().relativize(f).toString()))
                    .as(f.toString()).isNotEmpty();
        }
    }

    @Test
    void compose_threeNodesByDefault_twoMoreInASecondDc_eachConfiguredAsItsOwnName() {
        Map<String, Object> services = map(map(DeployFiles.yamlDocuments("compose/docker-compose.yml").get(0)).get("services"));

        assertThat(services).containsOnlyKeys("n1", "n2", "n3", "n4", "n5", "prometheus", "grafana");
        Map<String, Object> nodes = new java.util.LinkedHashMap<>(services);
        nodes.keySet().removeAll(List.of("prometheus", "grafana"));
        nodes.forEach((name, s) -> {
            Map<String, Object> svc = map(s);
            Map<String, Object> env = map(svc.get("environment"));
            // Each node binds every interface of its container and advertises its name on the network.
            assertThat(env).as(name).containsEntry("TALLY_NAME", name).containsEntry("TALLY_HOST", "0.0.0.0")
                    .containsEntry("TALLY_ADVERTISE_HOST", name)
                    .containsEntry("TALLY_SEEDS", "n1:7401,n2:7401,n3:7401").containsKey("TALLY_CLUSTER_ID");
            assertThat(svc.get("hostname")).isEqualTo(name);
            assertThat(list(svc.get("volumes"))).containsExactly(name + "-data:/var/lib/tally");
            boolean secondDc = name.equals("n4") || name.equals("n5");
            assertThat(env.get("TALLY_DC")).as(name).isEqualTo(secondDc ? "dc2" : "dc1");
            assertThat(svc.get("profiles")).as(name).isEqualTo(secondDc ? List.of("two-dcs") : null);
            assertThat(svc.get("image")).isEqualTo("${TALLY_IMAGE:-tally-node:dev}");
        });
    }

    /**
     * Prometheus and Grafana only with --profile monitoring (their images come from a registry, so a
     * plain `up` works without one), mounting files that exist; Prometheus scrapes the metrics port
     * of every default node, and Grafana is provisioned with that Prometheus and the dashboards.
     */
    @Test
    void compose_monitoringProfile_scrapesEveryNodeAndProvisionsGrafana() {
        Map<String, Object> services = map(map(DeployFiles.yamlDocuments("compose/docker-compose.yml").get(0)).get("services"));
        for (String name : List.of("prometheus", "grafana")) {
            Map<String, Object> svc = map(services.get(name));
            assertThat(svc.get("profiles")).as(name).isEqualTo(List.of("monitoring"));
            assertThat((String) svc.get("image")).as(name).matches("(prom/prometheus|grafana/grafana):v?[0-9.]+");
            for (Object v : list(svc.get("volumes"))) {
                String source = ((String) v).split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(DeployFiles.deploy().resolve("compose").resolve(source).normalize()).as(name + " mounts " + v)
                            .exists();
                }
            }
        }
        Map<String, Object> prometheus = map(DeployFiles.yamlDocuments("prometheus/prometheus.yml").get(0));
        Map<String, Object> job = map(list(prometheus.get("scrape_configs")).get(0));
        assertThat(job.get("metrics_path")).isEqualTo("/metrics");
        assertThat(list(map(list(job.get("static_configs")).get(0)).get("targets")))
                .containsExactly("n1:7403", "n2:7403", "n3:7403");

        Map<String, Object> datasource = map(list(map(DeployFiles.yamlDocuments(
                "grafana/provisioning/datasources/prometheus.yaml").get(0)).get("datasources")).get(0));
        assertThat(datasource).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
        Map<String, Object> provider = map(list(map(DeployFiles.yamlDocuments(
                "grafana/provisioning/dashboards/tally.yaml").get(0)).get("providers")).get(0));
        String path = (String) map(provider.get("options")).get("path");
        assertThat(list(map(services.get("grafana")).get("volumes"))).contains("../grafana/dashboards:" + path + ":ro");
        assertThat(DeployFiles.deploy().resolve("grafana/dashboards/tally.json")).exists();
    }

    @Test
    void k8s_statefulSetWithHeadlessServiceGrpcProbesPvcAndSeedsFromPodNames() {
        Map<String, Map<String, Object>> byKindAndName = new java.util.LinkedHashMap<>();
        for (Object d : DeployFiles.yamlDocuments("k8s/tally.yaml")) {
            Map<String, Object> doc = map(d);
            byKindAndName.put(doc.get("kind") + "/" + map(doc.get("metadata")).get("name"), doc);
        }
        assertThat(byKindAndName).containsOnlyKeys("Service/tally-peers", "Service/tally", "StatefulSet/tally",
                "PodDisruptionBudget/tally");

        Map<String, Object> headless = map(byKindAndName.get("Service/tally-peers").get("spec"));
        assertThat(headless).containsEntry("clusterIP", "None").containsEntry("publishNotReadyAddresses", true);

        Map<String, Object> sts = map(byKindAndName.get("StatefulSet/tally").get("spec"));
        assertThat(sts).containsEntry("serviceName", "tally-peers");
        int replicas = (Integer) sts.get("replicas");
        Map<String, Object> pod = map(map(sts.get("template")).get("spec"));
        assertThat(map(pod.get("securityContext"))).containsEntry("runAsUser", 10001).containsEntry("fsGroup", 10001);
        Map<String, Object> container = map(list(pod.get("containers")).get(0));
        assertThat(map(map(container.get("readinessProbe")).get("grpc"))).containsEntry("port", 7400);
        assertThat(map(map(container.get("livenessProbe")).get("grpc"))).containsEntry("port", 7400);

        Map<String, Object> env = new java.util.HashMap<>();
        for (Object e : list(container.get("env"))) {
            env.put((String) map(e).get("name"), map(e).containsKey("value") ? map(e).get("value") : map(e).get("valueFrom"));
        }
        assertThat(env.get("TALLY_NAME")).isEqualTo(Map.of("fieldRef", Map.of("fieldPath", "metadata.name")));
        assertThat(env.get("TALLY_HOST")).isEqualTo(Map.of("fieldRef", Map.of("fieldPath", "status.podIP")));
        assertThat(env.get("TALLY_ADVERTISE_HOST")).isEqualTo(Map.of("fieldRef", Map.of("fieldPath", "status.podIP")));
        List<String> seeds = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            seeds.add("tally-" + i + ".tally-peers:7401");
        }
        assertThat(env.get("TALLY_SEEDS")).isEqualTo(String.join(",", seeds));

        String claim = (String) map(map(list(sts.get("volumeClaimTemplates")).get(0)).get("metadata")).get("name");
        assertThat(list(container.get("volumeMounts"))).containsExactly(Map.of("name", claim, "mountPath", "/var/lib/tally"));
    }

    @Test
    void everyTallyVariableInComposeAndK8s_isAConfigurationKey() {
        Set<String> known = new java.util.TreeSet<>(DeployFiles.NON_KEY_ENV);
        DeployFiles.exampleKeys().forEach(k -> known.add(DeployFiles.envName(k)));
        List<String> used = new ArrayList<>();
        for (String file : List.of("compose/docker-compose.yml", "k8s/tally.yaml")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(TALLY_[A-Z_]+)\\b").matcher(DeployFiles.read(file));
            while (m.find()) {
                if (!m.group(1).equals("TALLY_IMAGE")) { // compose's own ${TALLY_IMAGE} substitution, not the node's
                    used.add(m.group(1));
                }
            }
        }
        assertThat(used).isNotEmpty().allSatisfy(v -> assertThat(known).as(v).contains(v));
    }

    @Test
    void exampleConfig_documentsEveryKeyTheNodeHas() {
        Set<String> nodeKeys = DeployFiles.nodeConfigKeysFromSource();
        Assumptions.assumeFalse(nodeKeys.isEmpty(),
                "node/src/main/java/dev/tally/node/config/ConfigKey.java is not in this tree yet");

        List<String> lines = DeployFiles.read("examples/tally.yaml").lines().toList();
        // Settings naming files that must exist (TLS, tokens) are shown commented out: "# key: value".
        Set<String> documented = new java.util.TreeSet<>(DeployFiles.exampleKeys());
        for (String key : nodeKeys) {
            if (lines.stream().anyMatch(l -> l.startsWith("# " + key + ": "))) {
                documented.add(key);
            }
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(nodeKeys);
        for (String key : nodeKeys) {
            int at = lines.indexOf(lines.stream().filter(l -> l.startsWith(key + ":") || l.startsWith("# " + key + ": "))
                    .findFirst().orElseThrow());
            assertThat(lines.get(at - 1)).as("the line above " + key + " documents it").startsWith("# ");
        }
    }
}
