package dev.tally.chaos.cluster;

import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * For test classes that share one cluster across methods: prints the cluster's diagnostics when
 * a test fails. Register with {@code @RegisterExtension}.
 */
public final class DumpClusterOnFailure implements TestWatcher {

    private final Supplier<TallyCluster> cluster;

    public DumpClusterOnFailure(Supplier<TallyCluster> cluster) {
        this.cluster = cluster;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        TallyCluster c = cluster.get();
        if (c != null) {
            System.out.println(context.getDisplayName() + " failed (" + cause + "); cluster state:\n" + c.diagnostics());
        }
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        testFailed(context, cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
