package dev.tally.testcontainers;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Marks a test class that needs Docker: skipped with a message where none answers, failed instead
 * when {@code TALLY_REQUIRE_DOCKER=1} (CI), so a machine without Docker cannot pass by skipping.
 * The same rule as the chaos suite's DockerGate. Before the class runs it builds the node image
 * ({@link TestImage}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DockerGate.Extension.class)
public @interface DockerGate {

    /** Applies the rule once per class. */
    public final class Extension implements ExecutionCondition, BeforeAllCallback {
        private static volatile Boolean available;

        private static boolean available() {
            Boolean a = available;
            if (a == null) {
                try {
                    a = DockerClientFactory.instance().isDockerAvailable();
                } catch (RuntimeException e) {
                    a = false;
                }
                available = a;
            }
            return a;
        }

        private static boolean required() {
            return "1".equals(String.valueOf(System.getenv("TALLY_REQUIRE_DOCKER")).trim());
        }

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (available() || required()) {
                return ConditionEvaluationResult.enabled("Docker is available or required");
            }
            return ConditionEvaluationResult.disabled("Docker is not available: skipping the TallyContainer tests."
                    + " Set TALLY_REQUIRE_DOCKER=1 to make this a failure; deploy/ci/prepare-docker.sh installs and"
                    + " starts Docker.");
        }

        /** Fails without Docker (it is required, or the class would be disabled), and builds the image. */
        @Override
        public void beforeAll(ExtensionContext context) {
            if (!available()) {
                throw new AssertionError("Docker is not available, but TALLY_REQUIRE_DOCKER=1 says the TallyContainer"
                        + " tests must run. Start it with deploy/ci/prepare-docker.sh (as root).");
            }
            TestImage.get();
        }
    }
}
