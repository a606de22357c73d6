package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.FrameDeadline;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.DataOutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A linked rogue's frames: one started and never finished (cut at the frame deadline, while a
 * slow whole frame is not), a record naming a port no socket has, and a kind a newer version added
 * (dropped free) beside garbage (still scored).
 */
class RogueFramesLoopbackTest extends RogueLoopbackTest {
    @Test
    void aGossipPeerThatStartsAFrameAndStopsIsCutAtTheFrameDeadlineAndASlowWholeFrameIsNot() throws Exception {
        Started a = start("a", honest(1), List.of());
        Identity made = Identity.generate();
        try (Socket s = linkAs(made, a)) {
            GossipServiceTest.await(() -> linked(a).contains(made.publicId()), Duration.ofSeconds(60));

            // An honest peer on a slow link: a 48 KB frame at 8 KB/s (above the 6.4 KB/s floor) takes 6 s.
            byte[] frame = PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                    .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)))
                    .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(999,
                            com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                    .addLengthDelimited(ByteString.copyFrom(new byte[48_000])).build()).build())
                    .build().toByteArray();
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(frame.length);
            for (int off = 0; off < frame.length; off += 4096) {
                out.write(frame, off, Math.min(4096, frame.length - off));
                out.flush();
                Thread.sleep(500); // pacing the sender, not waiting for the node
            }
            GossipServiceTest.await(() -> a.gossip().counters().gossipReceived() >= 1, Duration.ofSeconds(60));
            assertThat(linked(a)).as("a slow but whole frame").contains(made.publicId());

            // A rogue: declares a 32 KiB frame, sends 100 bytes of it and stops, holding the buffer and the link.
            out.writeInt(32 << 10);
            out.write(new byte[100]);
            out.flush();
            long started = System.nanoTime();
            GossipServiceTest.await(() -> !linked(a).contains(made.publicId()), Duration.ofSeconds(60));
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isLessThanOrEqualTo(Duration.ofMillis(FrameDeadline.deadlineMs(32 << 10) + 10_000));
        }
    }

    @Test
    void aRecordNamingAPortNoSocketHasNeitherStopsTheNodesClockNorIsDialled() throws Exception {
        List<NodeInfo> bootstrap = new CopyOnWriteArrayList<>();
        Started a = start("a", honest(1), bootstrap);
        logged.start();
        nodeLogs.addAppender(logged);
        Identity rogue = Identity.generate();
        try (Socket s = linkAs(rogue, a)) {
            GossipServiceTest.await(() -> linked(a).contains(rogue.publicId()), Duration.ofSeconds(60));
            // A made-up node at port 70,000 (a uint32 on the wire): A's next tick dialled it, the
            // driver's connect threw on the core thread, and the rest of that step (its wakeup
            // among it) was lost: A's core never ticked again.
            Identity made = Identity.generate();
            write(s, PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(
                    Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString()).setHost("127.0.0.1")
                            .setPort(70_000).setTimeMs(System.currentTimeMillis()).build()))).build());
            GossipServiceTest.await(() -> a.gossip().counters().gossipReceived() >= 1, Duration.ofSeconds(60));

            // With one link, A asks its bootstrap source for nodes on a tick every 10 s: B only comes that way.
            Started b = start("b", honest(2), List.of());
            bootstrap.add(info(b));
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(30));
            assertThat(logged.list).noneMatch(e -> e.getLevel() == Level.ERROR);
        }
    }

    @Test
    void aPeerMessageOfAKindANewerVersionAddedIsDroppedFreeWhileGarbageStillCosts() throws Exception {
        Started a = start("a", honest(1), List.of());
        Identity newer = Identity.generate();
        try (Socket s = linkAs(newer, a)) {
            GossipServiceTest.await(() -> linked(a).contains(newer.publicId()), Duration.ofSeconds(60));
            // A newer node's new top-level kind: one message-typed field past those this version knows.
            // Each scored -4 and closed the link before, so 8 of them had the newer node banned.
            PeerMessage newerKind = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(9, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(ByteString.copyFromUtf8("\n\u0003new")).build()).build()).build();
            for (int i = 0; i < 12; i++) {
                write(s, newerKind);
            }
            GossipServiceTest.await(() -> stats(a).newerKinds() >= 12, Duration.ofSeconds(30));
            assertThat(linked(a)).as("a newer node's kind closes no link").contains(newer.publicId());
            assertThat(score(a, newer.publicId())).isEqualTo(0.0);

            // Garbage that happens to parse (a varint where a kind is a message) is no kind: malformed, -8.
            write(s, PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(9, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()).build());
            GossipServiceTest.await(() -> score(a, newer.publicId()) <= -8.0, Duration.ofSeconds(30));
            // A kind this version knows, out of place on a link, still costs and ends it.
            write(s, PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit("c".repeat(40))).build());
            GossipServiceTest.await(() -> !linked(a).contains(newer.publicId()), Duration.ofSeconds(30));
            assertThat(score(a, newer.publicId())).isLessThanOrEqualTo(-12.0);
        }
    }
}
