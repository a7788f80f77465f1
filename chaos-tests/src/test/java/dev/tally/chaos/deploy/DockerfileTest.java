package dev.tally.chaos.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The node Dockerfile, checked as text (building it is ImagesTest's job). */
class DockerfileTest {

    private static final String DOCKERFILE = DeployFiles.read("docker/Dockerfile");

    /** Instructions with their continuation lines joined and comments dropped. */
    private static List<String> instructions() {
        String joined = DOCKERFILE.lines().filter(l -> !l.stripLeading().startsWith("#"))
                .reduce("", (a, l) -> a.endsWith("\\") ? a.substring(0, a.length() - 1) + " " + l.strip() : a + "\n" + l);
        return joined.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static String instruction(String name) {
        return instructions().stream().filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in the Dockerfile"));
    }

    @Test
    void entrypoint_passesExactlyTheParentPomsJvmOpens_thenRunsTheNode() {
        String opens = System.getProperty("tally.jvm.opens");
        assertThat(opens).as("-Dtally.jvm.opens from the pom").isNotBlank();
        Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(instruction("ENTRYPOINT"));
        StringBuilder args = new StringBuilder();
        while (m.find()) {
            args.append(m.group(1)).append(' ');
        }
        String expected = "java " + String.join(" ", Arrays.asList(opens.trim().split("\\s+")))
                + " -jar /opt/tally/tally.jar node";

        assertThat(args.toString().strip()).isEqualTo(expected);
    }

    @Test
    void baseImage_defaultsToTheUpstreamJre_andIsAnArgument() {
        assertThat(instructions()).first().isEqualTo("ARG BASE_IMAGE=eclipse-temurin:17-jre");
        assertThat(instruction("FROM")).isEqualTo("FROM ${BASE_IMAGE}");
    }

    @Test
    void image_runsUnprivileged_copiesTheJar_andExposesEveryNodePort() {
        assertThat(instruction("USER")).isEqualTo("USER tally");
        assertThat(instruction("COPY")).isEqualTo("COPY node/target/tally.jar /opt/tally/tally.jar");
        assertThat(instruction("EXPOSE").split(" ")).contains("7400", "7401", "7402", "7402/udp", "7403", "7404");
        assertThat(instruction("ENV")).contains("TALLY_DATA_DIR=/var/lib/tally").contains("TALLY_PORT=7400")
                .contains("TALLY_METRICS_PORT=7403").contains("TALLY_METRICS_HOST=0.0.0.0");
        assertThat(instructions()).noneMatch(l -> l.startsWith("VOLUME"));
        assertThat(instruction("HEALTHCHECK")).contains("/health");
    }

    @Test
    void env_namesOnlyConfigurationKeys() {
        Matcher m = Pattern.compile("(TALLY_[A-Z_]+)=").matcher(instruction("ENV"));
        while (m.find()) {
            assertThat(DeployFiles.exampleKeys().stream().map(DeployFiles::envName)).as(m.group(1)).contains(m.group(1));
        }
    }
}
