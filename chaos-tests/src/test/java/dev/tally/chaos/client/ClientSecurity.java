package dev.tally.chaos.client;

import dev.tally.client.TallyClientBuilder;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How the suite's SDK clients reach the nodes: plaintext without a token ({@link #NONE}), or TLS
 * trusting a CA file, with a bearer token. Applied to every client a scenario builds, so a secured
 * cluster is driven exactly like a plain one.
 *
 * @param ca    PEM of the CA the nodes' certificates chain to; empty for plaintext
 * @param token bearer token sent on every call; empty for none
 */
public record ClientSecurity(Optional<Path> ca, Optional<String> token) {
    public static final ClientSecurity NONE = new ClientSecurity(Optional.empty(), Optional.empty());

    public ClientSecurity {
        Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(token, "token");
    }

    /** Sets TLS and the token on {@code builder}; returns it. */
    public TallyClientBuilder applyTo(TallyClientBuilder builder) {
        ca.ifPresent(builder::useTls);
        token.ifPresent(builder::token);
        return builder;
    }

    @Override
    public String toString() {
        // Never the token itself: specs and clients end up in test output.
        return ca.isEmpty() && token.isEmpty() ? "plaintext"
                : (ca.isPresent() ? "TLS" : "plaintext") + (token.isPresent() ? " with a token" : "");
    }
}
