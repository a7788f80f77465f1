package dev.tally.node.bench;

/** Throughput and latency of one kind of call in a run (a mixed run has two). */
public record OperationResult(Operation operation, long calls, double callsPerSecond, LatencySummary latency) {}
