package dev.tally.node.bench;

/**
 * One line of live progress, once a second.
 *
 * @param warmup still warming up (not measured)
 * @param seconds since the phase started
 * @param callsPerSecond completed calls per second over the last interval
 * @param p50 latency so far in this phase, milliseconds
 * @param p99 latency so far in this phase, milliseconds
 * @param errors failed calls so far in this phase
 */
public record Progress(boolean warmup, double seconds, double callsPerSecond, double p50, double p99, long errors) {

  /** {@code [run    7s]   148,203 calls/s  p50 0.402 ms  p99 1.210 ms  errors 0}. */
  public String line() {
    return String.format("[%-6s %4.0fs] %,11.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  errors %d",
        warmup ? "warmup" : "run", seconds, callsPerSecond, p50, p99, errors);
  }
}
