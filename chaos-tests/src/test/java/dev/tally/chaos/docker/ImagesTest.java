package dev.tally.chaos.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectImageResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The image scripts, for real: the runtime image has what the faults need, and the node
 * Dockerfile builds on it and starts the jar as the unprivileged user with the right command
 * line. A stand-in jar (printing its arguments) replaces the node, which is built elsewhere.
 */
@RequiresDocker
class ImagesTest {

    @Test
    void runtimeImage_hasJava17AndTheFaultTools() {
        String image = Images.ensureRuntimeImage();
        try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withCommand("sleep", "60").withLabels(Labels.forRun("images-test"))) {
            c.start();
            ExecResult tools = DockerOps.shared().exec(c.getContainerId(), "root", "sh", "-c",
                    "java -version 2>&1 | head -1; for t in iptables tc pgrep bash; do command -v $t; done");
            assertThat(tools.stdout()).contains("version \"17.").contains("/iptables").contains("/tc")
                    .contains("/pgrep").contains("/bash");
        }
    }

    @Test
    void nodeImage_onTheLocalBase_runsTheJarAsTallyWithTheOpensAndNodeCommand(@TempDir Path tmp) throws Exception {
        Images.ensureRuntimeImage();
        Path jar = standInJar(tmp);
        String tag = "tally-node:images-test";
        Process build = new ProcessBuilder(Images.repoDir().resolve("deploy/docker/build-node-image.sh").toString(),
                "--base", "local", "--jar", jar.toString(), "--tag", tag).redirectErrorStream(true).start();
        assertThat(build.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String buildLog = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.exitValue()).as(buildLog).isZero();
        try {
            InspectImageResponse img = DockerClientFactory.instance().client().inspectImageCmd(tag).exec();
            assertThat(img.getConfig().getUser()).isEqualTo("tally");
            assertThat(img.getConfig().getHealthcheck()).isNotNull();
            assertThat(Arrays.stream(img.getConfig().getExposedPorts()).map(Object::toString))
                    .contains("7400/tcp", "7401/tcp", "7402/tcp", "7402/udp", "7403/tcp");

            StringBuilder logs = new StringBuilder();
            try (GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(tag))
                    .withLabels(Labels.forRun("images-test"))
                    .withLogConsumer((OutputFrame f) -> logs.append(f.getUtf8String()))
                    .waitingFor(Wait.forLogMessage(".*stand-in node.*\\n", 1)
                            .withStartupTimeout(Duration.ofSeconds(30)))) {
                c.start();
            }
            // The JVM reports "--add-opens X" as "--add-opens=X".
            String opens = String.join(",", System.getProperty("tally.jvm.opens").trim()
                    .replaceAll("--add-opens\\s+", "--add-opens=").split("\\s+"));
            assertThat(logs.toString()).contains("stand-in node args=[node] user=tally data=/var/lib/tally")
                    .contains("opens=" + opens);
        } finally {
            DockerClientFactory.instance().client().removeImageCmd(tag).withForce(true).exec();
        }
    }

    /** A jar whose main prints its arguments, user, data dir and the JVM's --add-opens flags. */
    private static Path standInJar(Path dir) throws IOException {
        Path src = dir.resolve("StandIn.java");
        Files.writeString(src, """
                public class StandIn {
                    public static void main(String[] args) {
                        var jvm = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
                        System.out.println("stand-in node args=" + java.util.Arrays.toString(args)
                            + " user=" + System.getProperty("user.name") + " data=" + System.getenv("TALLY_DATA_DIR")
                            + " opens=" + String.join(",", jvm));
                    }
                }
                """);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "--release", "17", "-d", dir.toString(), src.toString())).isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "StandIn");
        Path jar = dir.resolve("tally.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, manifest)) {
            j.putNextEntry(new JarEntry("StandIn.class"));
            j.write(Files.readAllBytes(dir.resolve("StandIn.class")));
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void leftovers_ofADeadOwner_areRemoved_butALiveOwnersAreKept() {
        var docker = DockerClientFactory.instance().client();
        java.util.Map<String, String> dead = new java.util.HashMap<>(Labels.forRun("dead-run"));
        dead.put(Labels.OWNER_PID, "999999999");
        String deadVolume = "tally-chaos-leftover-test-dead";
        String liveVolume = "tally-chaos-leftover-test-live";
        docker.createVolumeCmd().withName(deadVolume).withLabels(dead).exec();
        docker.createVolumeCmd().withName(liveVolume).withLabels(Labels.forRun("live-run")).exec();
        try {
            Leftovers.reapDead(docker);

            List<String> names = docker.listVolumesCmd().exec().getVolumes().stream()
                    .map(v -> v.getName()).toList();
            assertThat(names).contains(liveVolume).doesNotContain(deadVolume);
        } finally {
            for (String v : List.of(deadVolume, liveVolume)) {
                try {
                    docker.removeVolumeCmd(v).exec();
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
        }
    }
}
