package dev.tally.chaos.docker;

/**
 * Outcome of a command run inside a container.
 *
 * @param exitCode the command's exit code
 * @param stdout   what it printed
 * @param stderr   what it printed on stderr
 */
public record ExecResult(int exitCode, String stdout, String stderr) {

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** This result, or an IllegalStateException naming the command and its output. */
    public ExecResult orThrow(String what) {
        if (!succeeded()) {
            throw new IllegalStateException(what + " failed with exit code " + exitCode + ": "
                    + (stderr.isBlank() ? stdout : stderr).strip());
        }
        return this;
    }
}
