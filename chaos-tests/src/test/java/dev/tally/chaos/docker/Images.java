package dev.tally.chaos.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;

/**
 * The images the suite runs, built by the scripts in deploy/docker (the single definition of
 * how they are made; this class only calls them). Both builds are cached, so calling these on
 * every test class costs ~1 s once the images exist.
 */
public final class Images {

    /** Debian bookworm + JRE 17 + iptables/iproute2/procps, built without a registry. */
    public static final String RUNTIME = "tally-runtime:17";
    /** The node image built from node/target/tally.jar. */
    public static final String NODE = "tally-node:dev";

    private Images() {}

    /** The repository root: {@code -Dtally.repo.dir} (set by the pom), else found from the working directory. */
    public static Path repoDir() {
        String configured = System.getProperty("tally.repo.dir", "");
        if (!configured.isEmpty() && Files.isDirectory(Paths.get(configured, "deploy", "docker"))) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("deploy").resolve("docker"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root (a folder holding deploy/docker) from "
                + Paths.get("").toAbsolutePath() + "; set -Dtally.repo.dir");
    }

    public static boolean exists(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    /** Builds tally-runtime:17 unless it exists (needs root and debootstrap the first time). */
    public static String ensureRuntimeImage() {
        if (!exists(RUNTIME)) {
            runScript(Duration.ofMinutes(10), "deploy/docker/build-runtime-image.sh");
        }
        return RUNTIME;
    }

    /**
     * Builds tally-node:dev from node/target/tally.jar: on tally-runtime:17 when that exists (no
     * registry needed), else on the upstream JRE image.
     *
     * @throws IllegalStateException naming the Maven command when the jar has not been built
     */
    public static String ensureNodeImage() {
        Path jar = repoDir().resolve("node/target/tally.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the chaos suite runs the packaged node. Build it with"
                    + " `mvn -B -q -DskipTests -pl node -am package` (or run `mvn -B verify` from the root, which"
                    + " packages node before chaos-tests)");
        }
        String base = exists(RUNTIME) ? "local" : "upstream";
        runScript(Duration.ofMinutes(5), "deploy/docker/build-node-image.sh", "--base", base);
        return NODE;
    }

    private static void runScript(Duration timeout, String script, String... args) {
        Path repo = repoDir();
        List<String> command = new ArrayList<>();
        command.add(repo.resolve(script).toString());
        command.addAll(List.of(args));
        long start = System.nanoTime();
        try {
            Path log = Files.createTempFile("tally-image-build", ".log");
            try {
                Process p = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException(script + " did not finish within " + timeout + ":\n"
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                String output = Files.readString(log, StandardCharsets.UTF_8);
                System.out.print(output);
                if (p.exitValue() != 0) {
                    throw new IllegalStateException(script + " failed (exit " + p.exitValue() + "):\n" + output);
                }
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        }
        System.out.printf("%s took %.1f s%n", script, (System.nanoTime() - start) / 1e9);
    }
}
