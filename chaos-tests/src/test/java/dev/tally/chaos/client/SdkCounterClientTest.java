package dev.tally.chaos.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetManyResponse;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.chaos.history.ReadConsistency;
import dev.tally.chaos.load.Outcome;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK-backed client against fake nodes on loopback: outcomes, request ids, and a node that moves port. */
class SdkCounterClientTest {

    /** A node that keeps counters in a map and dedupes by request id, like the real one. */
    private static final class FakeNode extends CounterServiceGrpc.CounterServiceImplBase {
        final Map<String, Long> values = new ConcurrentHashMap<>();
        final Map<String, Long> applied = new ConcurrentHashMap<>();
        final Map<String, Consistency> consistencies = new ConcurrentHashMap<>();
        Server server;

        enum Consistency { LOCAL, QUORUM }

        FakeNode start() throws IOException {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
            return this;
        }

        String endpoint() {
            return "127.0.0.1:" + server.getPort();
        }

        private synchronized CounterValue add(String key, long delta, String requestId, boolean quorum) {
            if (!requestId.isEmpty()) {
                consistencies.put(requestId, quorum ? Consistency.QUORUM : Consistency.LOCAL);
                Long first = applied.get(requestId);
                if (first != null) {
                    return CounterValue.newBuilder().setKey(key).setValue(first).build();
                }
            }
            long v = values.merge(key, delta, Long::sum);
            if (!requestId.isEmpty()) {
                applied.put(requestId, v);
            }
            return CounterValue.newBuilder().setKey(key).setValue(v).build();
        }

        @Override
        public void increment(IncrementRequest r, StreamObserver<CounterValue> out) {
            out.onNext(add(r.getKey(), r.getAmount(), r.getRequestId(),
                    r.getConsistency() == dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM));
            out.onCompleted();
        }

        @Override
        public void decrement(DecrementRequest r, StreamObserver<CounterValue> out) {
            out.onNext(add(r.getKey(), -r.getAmount(), r.getRequestId(),
                    r.getConsistency() == dev.tally.api.v1.Consistency.CONSISTENCY_QUORUM));
            out.onCompleted();
        }

        @Override
        public void get(GetRequest r, StreamObserver<CounterValue> out) {
            out.onNext(CounterValue.newBuilder().setKey(r.getKey()).setValue(values.getOrDefault(r.getKey(), 0L)).build());
            out.onCompleted();
        }

        @Override
        public void getMany(GetManyRequest r, StreamObserver<GetManyResponse> out) {
            GetManyResponse.Builder b = GetManyResponse.newBuilder();
            r.getKeysList().forEach(k -> b.addValues(CounterValue.newBuilder().setKey(k).setValue(values.getOrDefault(k, 0L))));
            out.onNext(b.build());
            out.onCompleted();
        }
    }

    private final AtomicReference<Optional<String>> endpoint = new AtomicReference<>(Optional.empty());
    private final SdkCounterClient client = new SdkCounterClient("n1", endpoint::get, Duration.ofSeconds(2));
    private FakeNode first;
    private FakeNode second;

    @AfterEach
    void stop() {
        client.close();
        for (FakeNode n : new FakeNode[] {first, second}) {
            if (n != null) {
                n.server.shutdownNow();
            }
        }
    }

    @Test
    void add_andGet_answerOk_withTheRequestIdAndConsistencyPassedOn_andARetryCountedOnce() throws IOException {
        first = new FakeNode().start();
        endpoint.set(Optional.of(first.endpoint()));

        assertThat(client.add("k", 5, "rid-1", ReadConsistency.QUORUM)).isEqualTo(Outcome.ok(5));
        assertThat(client.add("k", 5, "rid-1", ReadConsistency.QUORUM)).as("a retry").isEqualTo(Outcome.ok(5));
        assertThat(client.add("k", -2, "rid-2", ReadConsistency.LOCAL)).isEqualTo(Outcome.ok(3));
        assertThat(client.get("k", ReadConsistency.LOCAL)).isEqualTo(Outcome.ok(3));
        assertThat(client.readAll(List.of("k", "other"))).contains(Map.of("k", 3L, "other", 0L));
        assertThat(first.consistencies).containsEntry("rid-1", FakeNode.Consistency.QUORUM)
                .containsEntry("rid-2", FakeNode.Consistency.LOCAL);
        assertThat(client.node()).isEqualTo("n1");
    }

    @Test
    void add_nodeWithNoPublishedPort_failsWithoutSending() {
        Outcome o = client.add("k", 1, "rid-1", ReadConsistency.LOCAL);

        assertThat(o).isInstanceOf(Outcome.Fail.class);
        assertThat(((Outcome.Fail) o).reason()).contains("n1 has no published client port").contains("nothing sent");
        assertThat(client.readAll(List.of("k"))).isEmpty();
    }

    @Test
    void add_afterTheNodeMovedToAnotherPort_reachesItThere() throws IOException {
        first = new FakeNode().start();
        endpoint.set(Optional.of(first.endpoint()));
        assertThat(client.add("k", 1, "rid-1", ReadConsistency.LOCAL)).isEqualTo(Outcome.ok(1));

        first.server.shutdownNow();
        second = new FakeNode().start(); // the same node after a restart, on the port Docker handed out this time
        second.values.put("k", 1L);
        second.applied.put("rid-1", 1L);
        endpoint.set(Optional.of(second.endpoint()));

        Awaitility.await("the client follows the node to its new port").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> client.add("k", 1, "rid-1", ReadConsistency.LOCAL) instanceof Outcome.Ok);
        assertThat(second.values).as("the retry of rid-1 was recognised").containsEntry("k", 1L);
        assertThat(client.add("k", 2, "rid-2", ReadConsistency.LOCAL)).isEqualTo(Outcome.ok(3));
        assertThat(client.toString()).contains(second.endpoint());
    }
}
