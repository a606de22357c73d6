package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServeSessionTest {
    final Identity us = Identity.generate();
    final ServeSession session = new ServeSession(us, HandshakeProof.newNonce());
    final String commit = "c".repeat(40);

    static PeerMessage request(BundleRequest.Builder request) {
        return PeerMessage.newBuilder().setBundleRequest(request).build();
    }

    /** A fetcher's side of the handshake, done right: hello, then its proof over our nonce; returns our proof. */
    static PeerMessage greet(ServeSession session, Identity fetcher) {
        PeerMessage ours = ((ServeSession.Reply) session.onMessage(PeerMessages.hello(fetcher, HandshakeProof.newNonce()))).message();
        ServeSession.Decision proved = session.onMessage(PeerMessages.helloProof(fetcher, ours.getHello().getNonce(),
                PublicId.of(ours.getHello().getNode())));
        assertThat(proved).isInstanceOf(ServeSession.Reply.class);
        return ((ServeSession.Reply) proved).message();
    }

    @Test
    void aKindANewerFetcherAddedIsSkippedAndFieldsOfNoKindAreRefused() {
        PeerMessage newer = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(12, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8("x")).build()).build()).build();
        assertThat(session.onMessage(newer)).isInstanceOf(ServeSession.Ignore.class);
        greet(session, Identity.generate());
        assertThat(session.onMessage(newer)).isInstanceOf(ServeSession.Ignore.class);
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Serve.class);

        ServeSession other = new ServeSession(us, HandshakeProof.newNonce());
        PeerMessage garbage = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(12, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(3).build()).build()).build();
        assertThat(other.onMessage(garbage)).isInstanceOfSatisfying(ServeSession.Refuse.class,
                r -> assertThat(r.code()).isEqualTo(Error.Code.BAD_REQUEST));
        assertThat(new ServeSession(us, HandshakeProof.newNonce()).onMessage(PeerMessage.getDefaultInstance()))
                .as("an empty message").isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void provesOurKeyToAFetcherThatProvedItsOwn() {
        Identity fetcher = Identity.generate();
        byte[] fetcherNonce = HandshakeProof.newNonce();
        PeerMessage ours = ((ServeSession.Reply) session.onMessage(PeerMessages.hello(fetcher, fetcherNonce))).message();
        assertThat(ours.getHello().getNode()).isEqualTo(us.publicId().toByteString());
        assertThat(session.peerNode()).as("not before it proved its key").isEmpty();

        ServeSession.Decision d = session.onMessage(PeerMessages.helloProof(fetcher, ours.getHello().getNonce(), us.publicId()));

        assertThat(d).isInstanceOfSatisfying(ServeSession.Reply.class, r -> assertThat(HandshakeProof.verify(us.publicId(),
                fetcherNonce, fetcher.publicId(), r.message().getHelloProof().getProof().toByteArray())).isTrue());
        assertThat(session.peerNode()).isEqualTo(fetcher.publicId().toByteString());
    }

    @Test
    void aHelloNamingAnotherNodeWithoutItsKeyIsRefusedAsAForgery() {
        Identity victim = Identity.generate();
        Identity rogue = Identity.generate();
        // The rogue can sign our nonce only with its own key, hand over a proof the victim made for
        // another connection, or one the victim made for this nonce but for another server.
        List<java.util.function.Function<ByteString, PeerMessage>> forgeries = List.of(
                nonce -> PeerMessages.helloProof(rogue, nonce, us.publicId()),
                nonce -> PeerMessages.helloProof(victim, ByteString.copyFrom(HandshakeProof.newNonce()), us.publicId()),
                nonce -> PeerMessages.helloProof(victim, nonce, Identity.generate().publicId()));
        for (var forge : forgeries) {
            ServeSession s = new ServeSession(us, HandshakeProof.newNonce());
            PeerMessage ours = ((ServeSession.Reply) s.onMessage(PeerMessages.hello(victim, HandshakeProof.newNonce()))).message();
            assertThat(s.onMessage(forge.apply(ours.getHello().getNonce()))).isInstanceOfSatisfying(ServeSession.Refuse.class, r -> {
                assertThat(r.code()).isEqualTo(Error.Code.BAD_SIGNATURE);
                assertThat(r.reason()).contains("no valid proof of the key of node " + victim.publicId().shortForm());
                assertThat(r.forged()).isTrue();
            });
            assertThat(s.peerNode()).isEmpty();
            // The request an honest fetcher sends right behind its proof is dropped: one refusal, one offence.
            assertThat(s.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Ignore.class);
        }
        // Skipping the proof is no way round it.
        ServeSession skipping = new ServeSession(us, HandshakeProof.newNonce());
        skipping.onMessage(PeerMessages.hello(victim, HandshakeProof.newNonce()));
        assertThat(skipping.onMessage(request(BundleRequest.newBuilder().setCommit(commit))))
                .isInstanceOfSatisfying(ServeSession.Refuse.class, r -> {
                    assertThat(r.reason()).contains("before proving the key");
                    assertThat(r.forged()).isTrue();
                });
    }

    @Test
    void anOlderNodesHelloWithoutANonceIsRefusedSayingWhyNotTakenAsAForgery() {
        PeerMessage older = PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(PeerMessages.PROTOCOL_VERSION)
                .setNode(Identity.generate().publicId().toByteString())).build();
        assertThat(session.onMessage(older)).isInstanceOfSatisfying(ServeSession.Refuse.class, r -> {
            assertThat(r.code()).isEqualTo(Error.Code.UNSUPPORTED);
            assertThat(r.reason()).contains("no 32-byte nonce").contains("prove the key");
            assertThat(r.forged()).isFalse();
        });
        // An older node sends its request right behind its hello: dropped with the connection, never served.
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Ignore.class);
    }

    /** The refusal's reason is logged and sent back: a rogue's commit id in it forged log lines, a megabyte at a time. */
    @Test
    void aMalformedCommitIdInARequestIsQuotedEscapedAndCutShort() {
        String forged = "x\n2026-12-06 12:00:00.000 ERROR NodeDaemon - forged " + "y".repeat(900_000);
        for (BundleRequest.Builder request : List.of(BundleRequest.newBuilder().setCommit(forged),
                BundleRequest.newBuilder().setCommit(commit).addHave(forged))) {
            ServeSession serving = new ServeSession(us, HandshakeProof.newNonce());
            greet(serving, Identity.generate());
            assertThat(serving.onMessage(request(request))).isInstanceOfSatisfying(ServeSession.Refuse.class, r -> {
                assertThat(r.code()).isEqualTo(Error.Code.BAD_REQUEST);
                assertThat(r.reason()).contains("'x\\n2026-12-06").doesNotContain("\n").hasSizeLessThan(1_000);
            });
        }
    }

    @Test
    void answersHelloThenServesOneRequestAtATime() {
        greet(session, Identity.generate());
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit).addHave("d".repeat(40)).setOffset(5))))
                .isEqualTo(new ServeSession.Serve(commit, List.of("d".repeat(40)), 5));
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit))))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void answersBusyPastTheUploadLimitAndServesAgainOnceASlotIsFree() {
        UploadSlots slots = new UploadSlots(1);
        ServeSession first = new ServeSession(us, HandshakeProof.newNonce(), slots);
        ServeSession second = new ServeSession(us, HandshakeProof.newNonce(), slots);
        greet(first, Identity.generate());
        greet(second, Identity.generate());
        assertThat(first.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Serve.class);

        ServeSession.Decision busy = second.onMessage(request(BundleRequest.newBuilder().setCommit(commit)));

        // Answered at once, not queued, and the connection stays usable.
        assertThat(busy).isInstanceOfSatisfying(ServeSession.Reply.class,
                r -> assertThat(r.message().getError().getCode()).isEqualTo(Error.Code.UNAVAILABLE));
        first.closed();  // the first asker went away mid-transfer: its slot is free
        assertThat(second.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Serve.class);
        assertThat(slots.inUse()).isEqualTo(1);
        second.finished();
        assertThat(slots.inUse()).isZero();
    }

    @Test
    void aRangeRequestNamesItsBundleBySha256() {
        greet(session, Identity.generate());
        byte[] sha = new byte[32];
        sha[0] = 7;
        ServeSession.Decision d = session.onMessage(request(BundleRequest.newBuilder().setCommit(commit).setOffset(1 << 20)
                .setLength(1 << 20).setBundleSha256(ByteString.copyFrom(sha))));
        assertThat(d).isInstanceOfSatisfying(ServeSession.Serve.class, serve -> {
            assertThat(serve.offset()).isEqualTo(1 << 20);
            assertThat(serve.length()).isEqualTo(1 << 20);
            assertThat(serve.sha256()).isEqualTo(sha);
        });
        ServeSession other = new ServeSession(us, HandshakeProof.newNonce());
        greet(other, Identity.generate());
        assertThat(other.onMessage(request(BundleRequest.newBuilder().setCommit(commit).setBundleSha256(ByteString.copyFrom(new byte[5])))))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void takesTheNextRequestOnceTheFirstIsFinished() {
        greet(session, Identity.generate());
        session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)));
        session.finished();
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Serve.class);
    }

    @Test
    void refusesWhatBreaksTheProtocol() {
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit))))
                .isEqualTo(new ServeSession.Refuse(Error.Code.BAD_REQUEST, "bundle request before hello"));
        ServeSession fresh = new ServeSession(us, HandshakeProof.newNonce());
        assertThat(fresh.onMessage(PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(2)
                .setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))
                .setNode(ByteString.copyFrom(new byte[32]))).build()))
                .extracting(d -> ((ServeSession.Refuse) d).code()).isEqualTo(Error.Code.UNSUPPORTED);
        // protocol_version is a uint32: a version of 2^32-1 is named as such, not as -1
        ServeSession newest = new ServeSession(us, HandshakeProof.newNonce());
        assertThat(newest.onMessage(PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(-1)
                .setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))
                .setNode(ByteString.copyFrom(new byte[32]))).build()))
                .isEqualTo(new ServeSession.Refuse(Error.Code.UNSUPPORTED, "speaks protocol version 4294967295, we speak 1"));
        ServeSession shortId = new ServeSession(us, HandshakeProof.newNonce());
        assertThat(shortId.onMessage(PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
                .setNode(ByteString.copyFrom(new byte[3]))).build())).isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void refusesMalformedRequests() {
        for (BundleRequest.Builder bad : new BundleRequest.Builder[] {
                BundleRequest.newBuilder().setCommit("HEAD"),
                BundleRequest.newBuilder().setCommit(commit).addHave("not-a-commit"),
                BundleRequest.newBuilder().setCommit(commit).addAllHave(Collections.nCopies(ServeSession.MAX_HAVE + 1, commit)),
                BundleRequest.newBuilder().setCommit(commit).setOffset(-1)}) {
            ServeSession s = new ServeSession(us, HandshakeProof.newNonce());
            greet(s, Identity.generate());
            assertThat(s.onMessage(request(bad))).as(bad.toString()).isInstanceOf(ServeSession.Refuse.class);
        }
        greet(session, Identity.generate());
        assertThat(session.onMessage(PeerMessage.newBuilder().setBundleChunk(BundleChunk.getDefaultInstance()).build()))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void anUploadEndedEarlyForAnotherPeersIsToldBusyAndItsSlotIsTheirs() {
        UploadSlots slots = new UploadSlots(1, 2, 10_000);
        List<UploadSlots.Upload> told = new ArrayList<>();
        ServeSession rogue = new ServeSession(us, HandshakeProof.newNonce(), slots, "10.0.0.1", told::add);
        ServeSession rogueAgain = new ServeSession(us, HandshakeProof.newNonce(), slots, "10.0.0.1", told::add);
        ServeSession honest = new ServeSession(us, HandshakeProof.newNonce(), slots, "10.0.0.2", told::add);
        greet(rogue, Identity.generate());
        greet(rogueAgain, Identity.generate());
        greet(honest, Identity.generate());
        assertThat(rogue.onMessage(request(BundleRequest.newBuilder().setCommit(commit)), 0)).isInstanceOf(ServeSession.Serve.class);
        UploadSlots.Upload rogues = rogue.upload();
        // The rogue's address holds one slot, under its share of two: a peer holding none waits out its tenure.
        assertThat(honest.onMessage(request(BundleRequest.newBuilder().setCommit(commit)), 9_999))
                .isInstanceOf(ServeSession.Reply.class);

        ServeSession.Decision d = honest.onMessage(request(BundleRequest.newBuilder().setCommit(commit)), 10_000);

        assertThat(d).isInstanceOfSatisfying(ServeSession.Serve.class, serve -> assertThat(serve.preempts()).isSameAs(rogues));
        assertThat(rogue.preempted(rogues)).isTrue();
        assertThat(rogue.preempted(rogues)).as("once").isFalse();
        rogue.finished();
        assertThat(slots.inUse()).as("the rogue's late release frees nothing of the honest peer's").isEqualTo(1);
        // The rogue asks again on another connection: it now holds none, the honest peer one, not yet 10 s.
        assertThat(rogueAgain.onMessage(request(BundleRequest.newBuilder().setCommit(commit)), 10_001))
                .isInstanceOfSatisfying(ServeSession.Reply.class,
                        r -> assertThat(r.message().getError().getCode()).isEqualTo(Error.Code.UNAVAILABLE));
        // And the rogue's first connection is usable again.
        assertThat(rogue.onMessage(request(BundleRequest.newBuilder().setCommit(commit)), 10_002)).isInstanceOf(ServeSession.Reply.class);
        honest.finished();
        assertThat(slots.inUse()).isZero();
    }
}
