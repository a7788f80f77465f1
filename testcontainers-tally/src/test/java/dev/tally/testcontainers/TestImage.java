package dev.tally.testcontainers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;

/**
 * The node image these tests run: {@code -Dtally.image} if given, else tally-node:dev built from
 * node/target/tally.jar by deploy/docker/build-node-image.sh (the one definition of the image;
 * cached, ~1 s when the jar is unchanged), on tally-runtime:17 when that exists (no registry).
 */
public final class TestImage {
    private static volatile String built;

    private TestImage() {}

    public static synchronized String get() {
        String configured = System.getProperty("tally.image", "");
        if (!configured.isEmpty()) {
            return configured;
        }
        if (built == null) {
            Path repo = Paths.get(System.getProperty("tally.repo.dir", "..")).toAbsolutePath().normalize();
            Path jar = repo.resolve("node/target/tally.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build it with `mvn -B -q -DskipTests -pl node -am"
                        + " package` (mvn verify from the root packages node first), or pass -Dtally.image=IMAGE");
            }
            String base = exists("tally-runtime:17") ? "local" : "upstream";
            run(repo, repo.resolve("deploy/docker/build-node-image.sh").toString(), "--base", base);
            built = "tally-node:dev";
        }
        return built;
    }

    private static boolean exists(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    private static void run(Path dir, String... command) {
        try {
            Path log = Files.createTempFile("tally-image", ".log");
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            Files.delete(log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted building the node image", e);
        }
    }
}
