package dev.tally.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import dev.tally.node.TallyNode;
import dev.tally.node.testing.TestNodes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generic client that knows nothing of Tally's generated classes, only what the server's
 * reflection service tells it (as grpcurl does): it lists the services, then increments,
 * decrements, reads and watches a key with dynamic messages, and checks health.
 */
class ReflectionTest {

  @TempDir
  static Path dir;

  static TallyNode node;
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    node = TestNodes.start(dir);
    channel = TestNodes.channel(node);
  }

  @AfterAll
  static void stop() {
    TestNodes.shutdown(channel);
    if (node != null) {
      node.close();
    }
  }

  private static ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            answer.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            answer.completeExceptionally(new IllegalStateException("no answer"));
          }
        });
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  /** Resolves a symbol to its service descriptor, fetching files and dependencies by reflection. */
  private static ServiceDescriptor service(String fullName) throws Exception {
    ServerReflectionResponse r = reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol(fullName).build());
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (var bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(bytes);
      protos.put(p.getName(), p);
    }
    FileDescriptorProto first = FileDescriptorProto.parseFrom(r.getFileDescriptorResponse().getFileDescriptorProto(0));
    FileDescriptor file = build(first.getName(), protos, new HashMap<>());
    String simpleName = fullName.substring(fullName.lastIndexOf('.') + 1);
    return file.findServiceByName(simpleName);
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built) throws Exception {
    if (built.containsKey(name)) {
      return built.get(name);
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      ServerReflectionResponse r = reflect(ServerReflectionRequest.newBuilder().setFileByFilename(name).build());
      proto = FileDescriptorProto.parseFrom(r.getFileDescriptorResponse().getFileDescriptorProto(0));
      protos.put(name, proto);
    }
    FileDescriptor[] deps = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < deps.length; i++) {
      deps[i] = build(proto.getDependency(i), protos, built);
    }
    FileDescriptor fd;
    try {
      fd = FileDescriptor.buildFrom(proto, deps);
    } catch (DescriptorValidationException e) {
      throw new AssertionError("reflection returned an invalid descriptor for " + name, e);
    }
    built.put(name, fd);
    return fd;
  }

  private static io.grpc.MethodDescriptor<DynamicMessage, DynamicMessage> grpcMethod(MethodDescriptor m) {
    return io.grpc.MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
        .setType(m.isServerStreaming() ? io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING
            : io.grpc.MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(io.grpc.MethodDescriptor.generateFullMethodName(m.getService().getFullName(), m.getName()))
        .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(m.getInputType())))
        .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(m.getOutputType())))
        .build();
  }

  private static DynamicMessage message(Descriptor type, Map<String, Object> fields) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    fields.forEach((k, v) -> b.setField(type.findFieldByName(k), v));
    return b.build();
  }

  private static DynamicMessage unary(MethodDescriptor m, Map<String, Object> fields) {
    return ClientCalls.blockingUnaryCall(channel, grpcMethod(m), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
        message(m.getInputType(), fields));
  }

  private static Object field(DynamicMessage m, String name) {
    return m.getField(m.getDescriptorForType().findFieldByName(name));
  }

  @Test
  void listServices_namesTallyHealthAndReflection() throws Exception {
    ServerReflectionResponse r = reflect(ServerReflectionRequest.newBuilder().setListServices("*").build());

    assertThat(r.getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
        .contains("tally.v1.CounterService", "tally.v1.ClusterService", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection");
  }

  @Test
  void dynamicClient_incrementsDecrementsGetsAndWatchesAKey() throws Exception {
    ServiceDescriptor counters = service("tally.v1.CounterService");
    assertThat(counters.getMethods()).extracting(MethodDescriptor::getName)
        .contains("Increment", "Decrement", "Get", "GetMany", "IncrementMany", "Watch");
    MethodDescriptor increment = counters.findMethodByName("Increment");
    MethodDescriptor decrement = counters.findMethodByName("Decrement");
    MethodDescriptor get = counters.findMethodByName("Get");
    MethodDescriptor watch = counters.findMethodByName("Watch");

    DynamicMessage afterIncrement = unary(increment, Map.of("key", "reflected", "amount", 5L));
    DynamicMessage afterDecrement = unary(decrement, Map.of("key", "reflected", "amount", 2L));
    DynamicMessage read = unary(get, Map.of("key", "reflected"));

    assertThat(field(afterIncrement, "value")).isEqualTo(5L);
    assertThat(field(afterDecrement, "value")).isEqualTo(3L);
    assertThat(field(read, "key")).isEqualTo("reflected");
    assertThat(field(read, "value")).isEqualTo(3L);
    assertThat(read.hasField(read.getDescriptorForType().findFieldByName("updated_at"))).isTrue();

    ClientCall<DynamicMessage, DynamicMessage> call = channel.newCall(grpcMethod(watch),
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    Iterator<DynamicMessage> values = ClientCalls.blockingServerStreamingCall(call,
        message(watch.getInputType(), Map.of("keys", List.of("reflected"))));
    try {
      assertThat(field(values.next(), "value")).isEqualTo(3L);
      unary(increment, Map.of("key", "reflected"));
      assertThat(field(values.next(), "value")).isEqualTo(4L);
    } finally {
      call.cancel("test done", null);
    }
  }

  @Test
  void dynamicClient_healthCheck_isServing() throws Exception {
    ServiceDescriptor health = service("grpc.health.v1.Health");
    MethodDescriptor check = health.findMethodByName("Check");

    DynamicMessage overall = unary(check, Map.of());
    DynamicMessage counters = unary(check, Map.of("service", "tally.v1.CounterService"));

    assertThat(field(overall, "status").toString()).isEqualTo("SERVING");
    assertThat(field(counters, "status").toString()).isEqualTo("SERVING");
  }
}
