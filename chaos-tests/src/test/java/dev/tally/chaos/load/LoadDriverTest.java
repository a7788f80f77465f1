package dev.tally.chaos.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tally.chaos.history.CheckResult;
import dev.tally.chaos.history.EventType;
import dev.tally.chaos.history.FinalValueChecker;
import dev.tally.chaos.history.FinalValueChecker.FinalRead;
import dev.tally.chaos.history.History;
import dev.tally.chaos.history.HistoryEvent;
import dev.tally.chaos.history.LogicalAdd;
import dev.tally.chaos.history.Operations;
import dev.tally.chaos.history.QuorumReadChecker;
import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.load.SimulatedCounters.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadDriverTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final List<String> KEYS = List.of("a", "b");
    private static final long SEED = 7;

    private final History history = new History();

    private Operations run(SimulatedCounters counters, Workload workload) throws InterruptedException {
        List<CounterClient> clients = new ArrayList<>();
        NODES.forEach(n -> clients.add(counters.client(n)));
        try (LoadDriver driver = new LoadDriver(history, clients, workload, SEED, "run1")) {
            driver.start();
            driver.awaitCompletion(Duration.ofSeconds(10));
        }
        return Operations.of(history.events());
    }

    private static Workload workload(int opsPerProcess) {
        return Workload.mixed(KEYS, opsPerProcess, Duration.ofSeconds(30)).withProcessesPerNode(2);
    }

    private static CheckResult checkAll(SimulatedCounters counters, Operations ops) {
        List<FinalRead> reads = new ArrayList<>();
        for (String node : NODES) {
            for (String key : KEYS) {
                reads.add(new FinalRead(node, key, counters.value(key)));
            }
        }
        return new FinalValueChecker().check(ops, reads, NODES)
                .and(new QuorumReadChecker(QuorumReadChecker.Visibility.allAcknowledged()).check(ops));
    }

    @Test
    void run_correctCounter_recordsEveryOperationAndPassesBothCheckers() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.NONE, 1, true);

        Operations ops = run(counters, workload(100).withConsistency(ReadConsistency.QUORUM, ReadConsistency.QUORUM));

        assertThat(ops.adds().size() + ops.reads().size()).isEqualTo(NODES.size() * 2 * 100);
        assertThat(history.events()).filteredOn(e -> e.type() == EventType.INVOKE).hasSize(600);
        assertThat(history.events()).extracting(HistoryEvent::process).containsOnly(0, 1, 2, 3, 4, 5);
        assertThat(ops.adds()).extracting(LogicalAdd::delta).anyMatch(d -> d < 0).anyMatch(d -> d > 0);
        CheckResult result = checkAll(counters, ops);
        assertThat(result.valid()).as(result.toString()).isTrue();
    }

    @Test
    void run_timeoutsAndRejections_recordedAsIndeterminateAndFailed_andStillValid() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.TIMEOUT_AFTER_APPLY, 5, true);

        Operations ops = run(counters, workload(60));

        assertThat(ops.adds()).extracting(LogicalAdd::status).contains(EventType.INFO, EventType.OK);
        assertThat(checkAll(counters, ops).valid()).isTrue();

        SimulatedCounters rejecting = new SimulatedCounters(Fault.REJECT, 4, true);
        History second = new History();
        List<CounterClient> clients = NODES.stream().map(rejecting::client).toList();
        try (LoadDriver driver = new LoadDriver(second, clients, workload(60), SEED, "run2")) {
            driver.start();
            driver.awaitCompletion(Duration.ofSeconds(10));
            assertThat(driver.stats()).contains(" failed");
        }
        Operations rejectedOps = Operations.of(second.events());
        assertThat(rejectedOps.adds()).extracting(LogicalAdd::status).contains(EventType.FAIL);
        assertThat(checkAll(rejecting, rejectedOps).valid()).isTrue();
    }

    @Test
    void run_retryUntilAck_acknowledgesEveryWriteAndTheSumIsExact() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.TIMEOUT_BEFORE_APPLY, 3, true);

        Operations ops = run(counters, workload(60).withRetryUntilAck(true));

        assertThat(ops.adds()).allSatisfy(a -> assertThat(a.status()).isEqualTo(EventType.OK));
        assertThat(ops.adds()).anySatisfy(a -> assertThat(a.attempts()).hasSizeGreaterThan(1));
        long total = ops.adds().stream().filter(a -> a.key().equals("a")).mapToLong(LogicalAdd::delta).sum();
        assertThat(counters.value("a")).isEqualTo(total);
        assertThat(checkAll(counters, ops).valid()).isTrue();
    }

    @Test
    void run_acknowledgedWritesLost_caughtByTheFinalValueChecker() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.ACK_WITHOUT_APPLY, 7, true);

        CheckResult result = checkAll(counters, run(counters, workload(60).withConsistency(ReadConsistency.LOCAL,
                ReadConsistency.LOCAL)));

        assertThat(result.violations()).extracting(v -> v.rule() + ": " + v.message().substring(0, 5))
                .contains("final-value: lost:");
    }

    @Test
    void run_retriesWithoutDedupe_doubleCountCaughtByTheCheckers() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.TIMEOUT_AFTER_APPLY, 3, false);

        CheckResult result = checkAll(counters, run(counters, workload(60).withRetryUntilAck(true)));

        assertThat(result.violations()).extracting(v -> v.message().split(":")[0]).contains("doubled");
    }

    @Test
    void stop_clientThatThrows_isRecordedAsIndeterminateAndReported() throws InterruptedException {
        CounterClient throwing = new CounterClient() {
            @Override
            public String node() {
                return "n1";
            }

            @Override
            public Outcome add(String key, long delta, String requestId, ReadConsistency consistency) {
                throw new IllegalStateException("boom");
            }

            @Override
            public Outcome get(String key, ReadConsistency consistency) {
                throw new IllegalStateException("boom");
            }
        };
        LoadDriver driver = new LoadDriver(history, List.of(throwing), workload(3), SEED, "run3");
        driver.start();

        assertThatThrownBy(() -> driver.awaitCompletion(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("a CounterClient threw instead of returning an Outcome");
        assertThat(history.events()).filteredOn(e -> e.type() == EventType.INFO)
                .allSatisfy(e -> assertThat(e.error()).contains("boom")).hasSize(6);
    }

    @Test
    void run_quorumShares_mixConsistencyLevelsPerOperation_reproduciblyFromTheSeed() throws InterruptedException {
        SimulatedCounters counters = new SimulatedCounters(Fault.NONE, 1, true);
        Workload workload = workload(200).withQuorumShares(0.5, 0.25).withThinkTime(Duration.ofMillis(1));

        Operations ops = run(counters, workload);
        History again = new History();
        List<CounterClient> clients = NODES.stream().map(new SimulatedCounters(Fault.NONE, 1, true)::client).toList();
        try (LoadDriver driver = new LoadDriver(again, clients, workload, SEED, "run1")) {
            driver.start();
            driver.awaitCompletion(Duration.ofSeconds(10));
        }

        long quorumWrites = ops.adds().stream().filter(a -> a.attempts().get(0).invoke().consistency()
                == ReadConsistency.QUORUM).count();
        long quorumReads = ops.reads().stream().filter(r -> r.invoke().consistency() == ReadConsistency.QUORUM).count();
        assertThat((double) quorumWrites / ops.adds().size()).isBetween(0.4, 0.6);
        assertThat((double) quorumReads / ops.reads().size()).isBetween(0.15, 0.35);
        assertThat(Operations.of(again.events()).adds()).extracting(a -> a.requestId() + " " + a.key() + " " + a.delta()
                        + " " + a.attempts().get(0).invoke().consistency())
                .as("same seed, same operations").containsExactlyInAnyOrderElementsOf(ops.adds().stream()
                        .map(a -> a.requestId() + " " + a.key() + " " + a.delta() + " "
                                + a.attempts().get(0).invoke().consistency()).toList());
    }

    @Test
    void workload_invalidSettings_rejectedNamingTheField() {
        assertThatThrownBy(() -> Workload.mixed(List.of(), 1, Duration.ofSeconds(1)))
                .hasMessage("keys must not be empty");
        assertThatThrownBy(() -> Workload.mixed(KEYS, 0, Duration.ofSeconds(1)))
                .hasMessage("maxOpsPerProcess must be >= 1, was 0");
        assertThatThrownBy(() -> Workload.mixed(KEYS, 1, Duration.ZERO))
                .hasMessage("duration must be positive, was PT0S");
        assertThatThrownBy(() -> Workload.mixed(KEYS, 1, Duration.ofSeconds(1)).withQuorumShares(1.5, 0))
                .hasMessage("quorumWriteFraction must be in [0, 1], was 1.5");
        assertThatThrownBy(() -> Workload.mixed(KEYS, 1, Duration.ofSeconds(1)).withQuorumShares(0, Double.NaN))
                .hasMessage("quorumReadFraction must be in [0, 1], was NaN");
        assertThatThrownBy(() -> Workload.mixed(KEYS, 1, Duration.ofSeconds(1)).withThinkTime(Duration.ofMillis(-1)))
                .hasMessage("thinkTime must not be negative, was PT-0.001S");
    }
}
