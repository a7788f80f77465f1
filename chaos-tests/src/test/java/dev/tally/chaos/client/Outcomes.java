package dev.tally.chaos.client;

import dev.tally.chaos.load.Outcome;
import dev.tally.client.TallyException;
import dev.tally.client.UnavailableException;
import dev.tally.client.WriteOutcomeUnknownException;
import io.grpc.Status;

/**
 * How the SDK's exceptions become history outcomes. A write is a definite failure only when the
 * SDK proves nothing was applied: the node answered with a code that is checked before any write
 * ({@code INVALID_ARGUMENT}, {@code OUT_OF_RANGE}, {@code FAILED_PRECONDITION}, load shedding...),
 * or {@link UnavailableException}, which the SDK throws only when no attempt can have reached a
 * node. Everything else, {@link WriteOutcomeUnknownException} first among them, is indeterminate:
 * calling a write failed when it was in fact applied would make the checker report a count that
 * was never there, so doubt always goes to "may have been applied".
 */
final class Outcomes {

    private Outcomes() {}

    /** The outcome of a write that threw {@code e}. */
    static Outcome ofWriteFailure(RuntimeException e) {
        if (e instanceof WriteOutcomeUnknownException) {
            return Outcome.indeterminate(e.getMessage());
        }
        if (e instanceof UnavailableException) {
            return Outcome.fail(e.getMessage());
        }
        if (e instanceof TallyException t && appliedNothing(t.code())) {
            return Outcome.fail(e.getMessage());
        }
        return Outcome.indeterminate(e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    /** The outcome of a read that threw {@code e}: a read changes nothing, so only a timeout is left open. */
    static Outcome ofReadFailure(RuntimeException e) {
        if (e instanceof TallyException t && t.code() == Status.Code.DEADLINE_EXCEEDED) {
            return Outcome.indeterminate(e.getMessage());
        }
        return Outcome.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    /** Codes a node sends only before it applies anything (see the SDK's failure table). */
    private static boolean appliedNothing(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNIMPLEMENTED,
                    UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, ALREADY_EXISTS -> true;
            default -> false;
        };
    }
}
