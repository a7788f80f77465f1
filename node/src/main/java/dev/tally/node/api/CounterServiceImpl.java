package dev.tally.node.api;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.CounterValue;
import dev.tally.api.v1.DecrementRequest;
import dev.tally.api.v1.GetManyRequest;
import dev.tally.api.v1.GetManyResponse;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementManyRequest;
import dev.tally.api.v1.IncrementManyResponse;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.api.v1.WatchRequest;
import dev.tally.gossip.engine.CounterChange;
import dev.tally.gossip.engine.Replica;
import dev.tally.gossip.store.StoreException;
import dev.tally.node.storage.DedupeRecord.AppliedValue;
import dev.tally.node.write.GroupCommitWriter;
import dev.tally.node.write.WriteException;
import dev.tally.node.write.WriteOutcome;
import dev.tally.node.write.WriteRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tally.v1.CounterService} on one node.
 *
 * <p>Threads: handlers run on gRPC's event loops (the server uses {@code directExecutor}) and never
 * block there. Writes are validated, queued on the {@link GroupCommitWriter}, and answered from the
 * replica thread when their group is durable. Reads go straight to the store (RocksDB point reads
 * from the memtable or block cache), which is what keeps them sub-millisecond.
 *
 * <p>Consistency: a single node is a data center of one, which is its own majority, so QUORUM is
 * served exactly as LOCAL until replication lands.
 */
public final class CounterServiceImpl extends CounterServiceGrpc.CounterServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CounterServiceImpl.class);

  private final Replica replica;
  private final GroupCommitWriter writer;
  private final WatchHub watches;

  public CounterServiceImpl(Replica replica, GroupCommitWriter writer, WatchHub watches) {
    this.replica = replica;
    this.writer = writer;
    this.watches = watches;
  }

  @Override
  public void increment(IncrementRequest req, StreamObserver<CounterValue> responses) {
    WriteRequest write;
    try {
      RequestValidator.key("key", req.getKeyBytes());
      long amount = RequestValidator.amount(req.hasAmount(), req.getAmount());
      String requestId = RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId());
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.increment(req.getKey(), amount, requestId);
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    submitSingle(req.getKey(), write, responses);
  }

  @Override
  public void decrement(DecrementRequest req, StreamObserver<CounterValue> responses) {
    WriteRequest write;
    try {
      RequestValidator.key("key", req.getKeyBytes());
      long amount = RequestValidator.amount(req.hasAmount(), req.getAmount());
      String requestId = RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId());
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.decrement(req.getKey(), amount, requestId);
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    submitSingle(req.getKey(), write, responses);
  }

  @Override
  public void incrementMany(IncrementManyRequest req, StreamObserver<IncrementManyResponse> responses) {
    WriteRequest write;
    List<String> keys;
    try {
      RequestValidator.batchSize("items", req.getItemsCount(), "IncrementMany");
      keys = new ArrayList<>(req.getItemsCount());
      List<CounterChange> changes = new ArrayList<>(req.getItemsCount());
      for (int i = 0; i < req.getItemsCount(); i++) {
        IncrementManyRequest.Item item = req.getItems(i);
        RequestValidator.key("items[" + i + "].key", item.getKeyBytes());
        long amount = RequestValidator.itemAmount(i, item.hasAmount(), item.getAmount());
        // The magnitude of Long.MIN_VALUE is 2^63, which -amount gives as an unsigned value.
        changes.add(amount > 0 ? CounterChange.increment(item.getKey(), amount)
            : CounterChange.decrement(item.getKey(), -amount));
        keys.add(item.getKey());
      }
      String requestId = RequestValidator.requestId(req.getRequestIdBytes(), req.getRequestId());
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      write = WriteRequest.batch(changes, requestId);
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    writer.submit(write).whenComplete((outcome, error) -> {
      if (error != null) {
        responses.onError(toStatus(error, i -> "items[" + i + "] (key '" + CounterValues.shorten(keys.get(i)) + "')"));
        return;
      }
      IncrementManyResponse.Builder b = IncrementManyResponse.newBuilder();
      List<AppliedValue> values = outcome.values();
      for (int i = 0; i < values.size(); i++) {
        b.addValues(CounterValues.of(keys.get(i), values.get(i).value(), values.get(i).updatedAtMillis()));
      }
      responses.onNext(b.build());
      responses.onCompleted();
    });
  }

  @Override
  public void get(GetRequest req, StreamObserver<CounterValue> responses) {
    CounterValue value;
    try {
      RequestValidator.key("key", req.getKeyBytes());
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      value = read(req.getKey());
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }

  @Override
  public void getMany(GetManyRequest req, StreamObserver<GetManyResponse> responses) {
    GetManyResponse.Builder b = GetManyResponse.newBuilder();
    try {
      RequestValidator.batchSize("keys", req.getKeysCount(), "GetMany");
      for (int i = 0; i < req.getKeysCount(); i++) {
        RequestValidator.key("keys[" + i + "]", req.getKeysBytes(i));
      }
      RequestValidator.consistency(req.getConsistency(), req.getConsistencyValue());
      for (int i = 0; i < req.getKeysCount(); i++) {
        b.addValues(read(req.getKeys(i)));
      }
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    responses.onNext(b.build());
    responses.onCompleted();
  }

  @Override
  public void watch(WatchRequest req, StreamObserver<CounterValue> responses) {
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    try {
      RequestValidator.batchSize("keys", req.getKeysCount(), "Watch");
      for (int i = 0; i < req.getKeysCount(); i++) {
        RequestValidator.key("keys[" + i + "]", req.getKeysBytes(i));
        keys.add(req.getKeys(i));
      }
    } catch (StatusRuntimeException e) {
      responses.onError(e);
      return;
    }
    watches.open(List.copyOf(keys), (ServerCallStreamObserver<CounterValue>) responses);
  }

  private CounterValue read(String key) {
    try {
      return CounterValues.of(key, replica.read(key));
    } catch (StoreException e) {
      throw Status.UNAVAILABLE.withDescription("this node could not read its store: " + e.getMessage())
          .asRuntimeException();
    }
  }

  private void submitSingle(String key, WriteRequest write, StreamObserver<CounterValue> responses) {
    writer.submit(write).whenComplete((WriteOutcome outcome, Throwable error) -> {
      if (error != null) {
        responses.onError(toStatus(error, i -> "key '" + CounterValues.shorten(key) + "'"));
        return;
      }
      AppliedValue v = outcome.values().get(0);
      responses.onNext(CounterValues.of(key, v.value(), v.updatedAtMillis()));
      responses.onCompleted();
    });
  }

  /** The status for a failed write; {@code where} names the overflowing change for OUT_OF_RANGE. */
  static StatusRuntimeException toStatus(Throwable error, Function<Integer, String> where) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (!(e instanceof WriteException w)) {
      log.error("unexpected write failure", e);
      return Status.INTERNAL.withDescription("internal error: " + e).asRuntimeException();
    }
    switch (w.reason()) {
      case OVERLOADED:
        return Status.RESOURCE_EXHAUSTED.withDescription(w.getMessage()).asRuntimeException();
      case OVERFLOW:
        return Status.OUT_OF_RANGE.withDescription(where.apply(Math.max(0, w.changeIndex())) + ": " + w.getMessage()
            + "; nothing was applied").asRuntimeException();
      case REQUEST_ID_REUSED:
        return Status.INVALID_ARGUMENT.withDescription(w.getMessage()).asRuntimeException();
      case STORAGE_FAILED:
      case SHUTTING_DOWN:
      default:
        return Status.UNAVAILABLE.withDescription(w.getMessage()).asRuntimeException();
    }
  }
}
