package dev.tally.node.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tally.api.v1.CounterServiceGrpc;
import dev.tally.api.v1.GetRequest;
import dev.tally.api.v1.IncrementRequest;
import dev.tally.node.TallyNode;
import dev.tally.node.peer.ClusterIdInterceptors;
import dev.tally.node.testing.TestNodes;
import dev.tally.peer.v1.PeerServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs the fuzz does not make (it stays under 8 MiB per message): a message past the inbound
 * limit on either port, and a small gzip-compressed message that would decompress far past it (a
 * "zip bomb"). Each is RESOURCE_EXHAUSTED, changes nothing, and the node serves the next call.
 */
class OversizeInputTest {
  private static final String CLUSTER = "fuzz-cluster";
  /** Past the 16 MiB inbound limit of both ports. */
  private static final int OVERSIZE = (16 << 20) + 1024;

  @TempDir
  Path dir;

  private TallyNode node;
  private ManagedChannel client;
  private ManagedChannel peerRaw;
  private Channel peer;

  @BeforeEach
  void start() {
    node = TestNodes.start(dir, "cluster-id", CLUSTER, "durability", "async");
    client = TestNodes.channel(node);
    peerRaw = NettyChannelBuilder.forAddress("127.0.0.1", node.peerPort()).usePlaintext().build();
    peer = ClientInterceptors.intercept(peerRaw, ClusterIdInterceptors.client(CLUSTER, "fz-peer"));
    TestNodes.blocking(client).increment(IncrementRequest.newBuilder().setKey("k").setAmount(3).build());
  }

  @AfterEach
  void stop() {
    TestNodes.shutdown(client);
    TestNodes.shutdown(peerRaw);
    node.close();
  }

  @Test
  void messagePastTheInboundLimit_onEitherPort_isResourceExhausted_andChangesNothing() throws Exception {
    // A key field (1) that long. The limit is the server's (one per port), so one unary and one
    // streaming method of the client port and one method of the peer port stand for all.
    byte[] request = zeros(OVERSIZE).readAllBytes();
    for (Rpc rpc : new Rpc[] {Rpc.INCREMENT, Rpc.WATCH, Rpc.PUSH_DELTA}) {
      RawCalls.Outcome out = rpc == Rpc.WATCH
          ? RawCalls.serverStream(channel(rpc), rpc.method, request, 1, false)
          : RawCalls.unary(channel(rpc), rpc.method, request);

      assertThat(out.code()).as(rpc + ": " + out.description()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }
    assertUnchangedAndServing();
  }

  @Test
  void gzipRequest_decompressingFarPastTheLimit_isResourceExhausted_andChangesNothing() {
    long decompressed = 64L << 20; // four times the limit; about 64 KiB on the wire
    for (Rpc rpc : new Rpc[] {Rpc.INCREMENT, Rpc.INCREMENT_MANY, Rpc.PUSH_DELTA, Rpc.SYNC_BUCKETS}) {
      MethodDescriptor<Long, byte[]> method = MethodDescriptor.<Long, byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(rpc.method.getFullMethodName())
          .setRequestMarshaller(new MethodDescriptor.Marshaller<Long>() {
            @Override
            public InputStream stream(Long size) {
              return zeros(size);
            }

            @Override
            public Long parse(InputStream stream) {
              throw new UnsupportedOperationException();
            }
          })
          .setResponseMarshaller(RawCalls.Bytes.INSTANCE).build();

      Status.Code code;
      try {
        ClientCalls.blockingUnaryCall(channel(rpc), method,
            CallOptions.DEFAULT.withCompression("gzip").withDeadlineAfter(30, TimeUnit.SECONDS), decompressed);
        code = Status.Code.OK;
      } catch (StatusRuntimeException e) {
        code = e.getStatus().getCode();
      }

      assertThat(code).as(rpc.toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }
    assertUnchangedAndServing();
  }

  private Channel channel(Rpc rpc) {
    return rpc.port == Rpc.Port.PEER ? peer : client;
  }

  private void assertUnchangedAndServing() {
    assertThat(node.isServing()).isTrue();
    assertThat(CounterServiceGrpc.newBlockingStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
        .get(GetRequest.newBuilder().setKey("k").build()).getValue()).isEqualTo(3);
  }

  /** Field 1, length-delimited, {@code size} bytes in all, the value all zeros; made as it is read. */
  private static InputStream zeros(long size) {
    byte[] head = WireMutator.concat(new byte[] {0x0a}, WireMutator.varint(size - 1 - WireMutator.varint(size).length));
    long body = size - head.length;
    return new SequenceInputStream(new ByteArrayInputStream(head), new InputStream() {
      private long left = body;

      @Override
      public int read() {
        if (left <= 0) {
          return -1;
        }
        left--;
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 0);
        left -= n;
        return n;
      }
    });
  }
}
