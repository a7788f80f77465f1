package dev.tally.chaos.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shell scripts under deploy/: valid bash, and their error paths say what to do. */
class ScriptsTest {

    private record Run(int exit, String output) {}

    private static Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).directory(DeployFiles.deploy().toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void everyScript_isValidBashAndExecutable() throws IOException, InterruptedException {
        List<Path> scripts = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(DeployFiles.deploy())) {
            walk.filter(p -> p.toString().endsWith(".sh")).forEach(scripts::add);
        }
        assertThat(scripts).extracting(p -> p.getFileName().toString())
                .contains("prepare-docker.sh", "build-runtime-image.sh", "build-node-image.sh", "build-lib.sh");
        for (Path s : scripts) {
            Run syntax = run("bash", "-n", s.toString());
            assertThat(syntax.exit()).as(s + ": " + syntax.output()).isZero();
            if (!s.getFileName().toString().equals("build-lib.sh")) {
                assertThat(Files.isExecutable(s)).as(s + " is executable").isTrue();
            }
        }
    }

    @Test
    void buildNodeImage_missingJar_failsSayingHowToBuildIt() throws IOException, InterruptedException {
        Run r = run("docker/build-node-image.sh", "--base", "upstream", "--jar", "/nonexistent/tally.jar");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.output()).contains("/nonexistent/tally.jar is missing")
                .contains("mvn -B -q -DskipTests -pl node -am package");
    }

    @Test
    void buildScripts_unknownOption_exitWithUsageHint() throws IOException, InterruptedException {
        Run node = run("docker/build-node-image.sh", "--bogus");
        Run runtime = run("docker/build-runtime-image.sh", "--bogus");
        Run base = run("docker/build-node-image.sh", "--base", "sideways", "--jar", "/x");

        assertThat(node.exit()).isEqualTo(2);
        assertThat(node.output()).contains("unknown option --bogus (try --help)");
        assertThat(runtime.exit()).isEqualTo(2);
        assertThat(runtime.output()).contains("unknown option --bogus");
        assertThat(base.exit()).isEqualTo(2);
        assertThat(base.output()).contains("--base must be local or upstream, not 'sideways'");
    }
}
