package dev.tally.chaos.docker;

import org.testcontainers.DockerClientFactory;

/**
 * Decides whether the Docker-backed tests run, are skipped, or fail: with no Docker engine the
 * suite is skipped with a message, unless {@code TALLY_REQUIRE_DOCKER=1} (as CI sets it), in
 * which case it fails, so a CI machine without Docker can never pass by skipping.
 */
public final class DockerGate {

    /** Environment variable that turns "skip" into "fail". */
    public static final String REQUIRE_ENV = "TALLY_REQUIRE_DOCKER";

    /** What to do. */
    public enum Verdict { RUN, SKIP, FAIL }

    /** The verdict and the message to show. */
    public record Decision(Verdict verdict, String message) {}

    private static volatile Decision cached;

    private DockerGate() {}

    /** The decision for this JVM, probing Docker once. */
    public static Decision current() {
        Decision d = cached;
        if (d == null) {
            boolean available;
            String reason;
            try {
                available = DockerClientFactory.instance().isDockerAvailable();
                reason = available ? "" : "Testcontainers found no working Docker environment";
            } catch (RuntimeException e) {
                available = false;
                reason = e.toString();
            }
            d = decide(available, System.getenv(REQUIRE_ENV), reason);
            cached = d;
        }
        return d;
    }

    /** The rule itself, separate from the probe so it can be tested. */
    public static Decision decide(boolean dockerAvailable, String requireEnv, String reasonUnavailable) {
        if (dockerAvailable) {
            return new Decision(Verdict.RUN, "Docker is available");
        }
        String why = "Docker is not available (" + reasonUnavailable + ")";
        if ("1".equals(requireEnv == null ? "" : requireEnv.trim())) {
            return new Decision(Verdict.FAIL, why + ", but " + REQUIRE_ENV + "=1 says the chaos suite must run:"
                    + " Docker is required. Start it with deploy/ci/prepare-docker.sh (as root).");
        }
        return new Decision(Verdict.SKIP, why + ": skipping the Docker-backed chaos tests. Set " + REQUIRE_ENV
                + "=1 to make this a failure; deploy/ci/prepare-docker.sh installs and starts Docker.");
    }
}
