package dev.tally.chaos.history;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A clock for tests that advances one millisecond per reading. */
final class FakeClock implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long getAsLong() {
        return nanos.getAndAdd(1_000_000);
    }
}
