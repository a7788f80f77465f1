package dev.tally.chaos.docker;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Applies {@link DockerGate}: disables the class when Docker is missing, or fails it when Docker is required. */
final class DockerGateExtension implements ExecutionCondition, BeforeAllCallback {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        DockerGate.Decision d = DockerGate.current();
        return d.verdict() == DockerGate.Verdict.SKIP
                ? ConditionEvaluationResult.disabled(d.message())
                : ConditionEvaluationResult.enabled(d.message());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        DockerGate.Decision d = DockerGate.current();
        if (d.verdict() == DockerGate.Verdict.FAIL) {
            throw new AssertionError(d.message());
        }
    }
}
