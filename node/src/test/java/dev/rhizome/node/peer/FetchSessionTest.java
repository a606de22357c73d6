package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class FetchSessionTest {
    final String commit = "c".repeat(40);
    final Identity us = Identity.generate();
    final Identity peer = Identity.generate();
    final byte[] bundle = "0123456789".getBytes();
    final FetchSession session = new FetchSession(commit, 100, ByteString.EMPTY);

    BundleHeader header() throws Exception {
        return BundleHeader.newBuilder().setCommit(commit).setSize(bundle.length)
                .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(bundle))).build();
    }

    /** The handshake with {@link #peer} serving, each message as the wire carries it, through its own session. */
    void greet(FetchSession fetching) throws PeerFailure {
        ServeSession server = new ServeSession(peer, HandshakeProof.newNonce());
        PeerMessage hello = ((ServeSession.Reply) server.onMessage(fetching.open(us, HandshakeProof.newNonce()))).message();
        PeerMessage proof = fetching.onHello(hello.getHello());
        fetching.onProof(((ServeSession.Reply) server.onMessage(proof)).message().getHelloProof());
    }

    static BundleChunk chunk(long offset, byte[] data, int from, int to) {
        return BundleChunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(data, from, to - from)).build();
    }

    @Test
    void acceptsAnHonestTransfer() throws Exception {
        greet(session);
        session.onHeader(header());
        session.onChunk(chunk(0, bundle, 0, 4));
        session.onChunk(chunk(4, bundle, 4, 10));
        session.onEnd(BundleEnd.newBuilder().setCommit(commit).build(), MessageDigest.getInstance("SHA-256").digest(bundle));
        assertThat(session.done()).isTrue();
        assertThat(session.peerNode()).isEqualTo(peer.publicId().toByteString());
    }

    @Test
    void refusesHeadersForOtherCommitsOrOverTheLimit() throws Exception {
        greet(session);
        assertThatThrownBy(() -> session.onHeader(header().toBuilder().setCommit("d".repeat(40)).build()))
                .hasMessageContaining("when asked for");
        assertThatThrownBy(() -> session.onHeader(header().toBuilder().setSize(101).build()))
                .hasMessageContaining("over this node's limit of 100")
                .satisfies(e -> assertThat(((PeerFailure) e).kind()).as("true, so no fault").isEqualTo(PeerFailure.Kind.TOO_LARGE));
        assertThatThrownBy(() -> session.onHeader(header().toBuilder().setSize(0).build()))
                .satisfies(e -> assertThat(((PeerFailure) e).kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE));
        assertThatThrownBy(() -> session.onHeader(header().toBuilder().setSha256(ByteString.EMPTY).build()))
                .hasMessageContaining("sha256");
    }

    @Test
    void refusesChunksOutOfOrderOrPastTheSizeAndShortOrForgedEnds() throws Exception {
        greet(session);
        assertThatThrownBy(() -> session.onChunk(chunk(0, bundle, 0, 1))).hasMessageContaining("out of turn");
        session.onHeader(header());
        assertThatThrownBy(() -> session.onChunk(chunk(3, bundle, 0, 1))).hasMessageContaining("offset 3, expected 0");
        session.onChunk(chunk(0, bundle, 0, 9));
        assertThatThrownBy(() -> session.onChunk(chunk(9, new byte[2], 0, 2))).hasMessageContaining("more than the 10 bytes");
        assertThatThrownBy(() -> session.onEnd(BundleEnd.newBuilder().setCommit(commit).build(), new byte[32]))
                .hasMessageContaining("after 9 of 10 bytes");
        session.onChunk(chunk(9, bundle, 9, 10));
        assertThatThrownBy(() -> session.onEnd(BundleEnd.newBuilder().setCommit(commit).build(), new byte[32]))
                .hasMessageContaining("sha256 differs");
    }

    @Test
    void aHeaderOrAnErrorAfterTheProofAreTheHoldersOwn() throws Exception {
        greet(session);
        assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(Error.Code.NOT_FOUND).setMessage("gone").build()))
                .hasMessage("answered NOT_FOUND: gone");
        // The holder's own trouble, or an older holder's "unsupported", proves no lie: declined, at no cost.
        for (Error.Code code : new Error.Code[] {Error.Code.INTERNAL, Error.Code.UNSUPPORTED}) {
            assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(code).setMessage("disk full").build()))
                    .isInstanceOfSatisfying(PeerFailure.class, f -> {
                        assertThat(f.declined()).isEqualTo(PeerFailure.Declined.UNABLE);
                        assertThat(f.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST);
                    });
        }
        assertThatThrownBy(() -> session.onProof(HelloProof.getDefaultInstance())).hasMessageContaining("out of turn")
                .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE));
    }

    /** What a holder says goes into its failure, which is logged and reported: a rogue's words there forged log lines, a megabyte at a time. */
    @Test
    void aHoldersOwnWordsReachTheFailureEscapedAndCutShort() throws Exception {
        String forged = "gone\n2026-12-06 12:00:00.000 ERROR NodeDaemon - forged \u001b[2J" + "x".repeat(900_000);
        List<ThrowingCallable> answers = new ArrayList<>();
        for (Error.Code code : Error.Code.values()) {
            if (code != Error.Code.UNRECOGNIZED) {
                answers.add(() -> session.onError(Error.newBuilder().setCode(code).setMessage(forged).build()));
            }
        }
        FetchSession unproven = new FetchSession(commit, 100, ByteString.EMPTY);
        unproven.open(us, HandshakeProof.newNonce());
        answers.add(() -> unproven.onError(Error.newBuilder().setCode(Error.Code.NOT_FOUND).setMessage(forged).build()));
        FetchSession otherCommit = new FetchSession(commit, 100, ByteString.EMPTY);
        greet(otherCommit);
        answers.add(() -> otherCommit.onHeader(header().toBuilder().setCommit(forged).build()));
        FetchSession otherEnd = new FetchSession(commit, 100, ByteString.EMPTY);
        greet(otherEnd);
        otherEnd.onHeader(header());
        otherEnd.onChunk(chunk(0, bundle, 0, bundle.length));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(bundle);
        answers.add(() -> otherEnd.onEnd(BundleEnd.newBuilder().setCommit(forged).build(), digest));

        greet(session);
        for (ThrowingCallable answer : answers) {
            assertThatThrownBy(answer).isInstanceOf(PeerFailure.class).satisfies(f -> {
                assertThat(f.getMessage()).doesNotContain("\n", "\u001b").contains("\\n2026-12-06").hasSizeLessThan(1_000);
            });
        }
    }

    @Test
    void whateverComesBeforeTheServersProofIsHeldAgainstNoOne() {
        // Anyone answering at a holder's address can send these: "not found" or a header out of turn
        // there would frame the holder we asked, so they are declines that cost it nothing.
        session.open(us, HandshakeProof.newNonce());
        assertThat(session.closedEarly().getMessage()).isEqualTo("closed the connection before saying hello");
        // It took the connection and said nothing: as good as unreachable, a decline (a rest), no fault.
        assertThat(session.closedEarly().declined()).isEqualTo(PeerFailure.Declined.UNREACHABLE);
        assertUnproven(() -> session.onHeader(header()), "out of turn, before proving its key");
        assertUnproven(() -> session.onError(Error.newBuilder().setCode(Error.Code.NOT_FOUND).setMessage("gone").build()),
                "answered NOT_FOUND before proving its key: gone");

        FetchSession expectingOther = new FetchSession(commit, 100, Identity.generate().publicId().toByteString());
        expectingOther.open(us, HandshakeProof.newNonce());
        assertUnproven(() -> expectingOther.onHello(PeerMessages.hello(peer, HandshakeProof.newNonce()).getHello()), "answers as node");

        FetchSession fromAnOlderNode = new FetchSession(commit, 100, ByteString.EMPTY);
        fromAnOlderNode.open(us, HandshakeProof.newNonce());
        Hello noNonce = PeerMessages.hello(peer, HandshakeProof.newNonce()).getHello().toBuilder().clearNonce().build();
        assertUnproven(() -> fromAnOlderNode.onHello(noNonce), "no nonce");
    }

    @Test
    void aHelloNamingTheHolderWithoutItsKeyIsRefusedAtTheProof() throws Exception {
        FetchSession asking = new FetchSession(commit, 100, peer.publicId().toByteString());
        asking.open(us, HandshakeProof.newNonce());
        // A rogue says hello as the holder (its id is public), then signs with its own key, or replays
        // a proof the holder made on another connection: neither is a signature over our nonce.
        Identity rogue = Identity.generate();
        byte[] rogueNonce = HandshakeProof.newNonce();
        asking.onHello(PeerMessages.hello(peer, rogueNonce).getHello());
        HelloProof ownKey = PeerMessages.helloProof(rogue, ByteString.copyFrom(HandshakeProof.newNonce()), us.publicId())
                .getHelloProof();
        assertUnproven(() -> asking.onProof(ownKey), "did not prove the key of node");
        assertThat(asking.peerNode()).isEmpty();

        FetchSession replayed = new FetchSession(commit, 100, peer.publicId().toByteString());
        replayed.open(us, HandshakeProof.newNonce());
        replayed.onHello(PeerMessages.hello(peer, rogueNonce).getHello());
        HelloProof otherConnection = PeerMessages.helloProof(peer, ByteString.copyFrom(HandshakeProof.newNonce()), us.publicId())
                .getHelloProof();
        assertUnproven(() -> replayed.onProof(otherConnection), "did not prove the key of node");
        assertThat(replayed.closedEarly().getMessage()).isEqualTo("closed the connection before proving its key");
        // Whoever answered at the address hung up before proving anything: a free decline (a rest after
        // a streak), as an address taking no connection is, not a lost connection retried thrice a commit.
        assertThat(replayed.closedEarly().declined()).isEqualTo(PeerFailure.Declined.UNREACHABLE);
    }

    @Test
    void aHolderHangingUpAfterItsHelloDeclinesUnreachableButOneHangingUpMidBundleIsALostConnectionToResume() throws Exception {
        greet(session);
        // Proved its key, then closed before a byte of the bundle: nothing to resume, a decline (free).
        assertThat(session.closedEarly().getMessage()).isEqualTo("closed the connection before sending a bundle header");
        assertThat(session.closedEarly().declined()).isEqualTo(PeerFailure.Declined.UNREACHABLE);
        assertThat(session.closedEarly().kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST);
        session.onHeader(header());
        session.onChunk(chunk(0, bundle, 0, 4));
        // Bytes came: an honest holder restarting mid-transfer is a lost connection, resumed as before.
        assertThat(session.closedEarly().declined()).isNull();
        assertThat(session.closedEarly().getMessage()).startsWith("closed the connection after 4 of");
    }

    @Test
    void aResumedConnectionSaysHelloAgainWithAFreshNonce() throws Exception {
        greet(session);
        session.onHeader(header());
        session.onChunk(chunk(0, bundle, 0, 4));
        session.resume();
        greet(session);
        session.onHeader(header());
        session.onChunk(chunk(4, bundle, 4, 10));
        session.onEnd(BundleEnd.newBuilder().setCommit(commit).build(), MessageDigest.getInstance("SHA-256").digest(bundle));
        assertThat(session.done()).isTrue();
    }

    static void assertUnproven(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String why) {
        assertThatThrownBy(call).hasMessageContaining(why).isInstanceOfSatisfying(PeerFailure.class, f -> {
            assertThat(f.declined()).isEqualTo(PeerFailure.Declined.UNPROVEN);
            assertThat(f.blameless()).isTrue();
        });
    }

    BundleHeader piecedHeader() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        BundleHeader.Builder h = header().toBuilder().setPieceBytes(4);
        for (int from = 0; from < bundle.length; from += 4) {
            sha.update(bundle, from, Math.min(4, bundle.length - from));
            h.addPieceSha256(ByteString.copyFrom(sha.digest()));
        }
        return h.build();
    }

    @Test
    void aRangeOfAKnownBundleTakesOnlyItsBytes() throws Exception {
        byte[] known = header().getSha256().toByteArray();
        FetchSession range = FetchSession.range(commit, 100, ByteString.EMPTY, 4, 4, known);
        greet(range);
        range.onHeader(piecedHeader());
        assertThat(range.remaining()).isEqualTo(4);
        assertThatThrownBy(() -> range.onChunk(chunk(0, bundle, 0, 4))).hasMessageContaining("expected 4");
        FetchSession fresh = FetchSession.range(commit, 100, ByteString.EMPTY, 4, 4, known);
        greet(fresh);
        fresh.onHeader(piecedHeader());
        assertThatThrownBy(() -> fresh.onChunk(chunk(4, bundle, 4, 10))).hasMessageContaining("more than the 4 bytes asked for");
        fresh.onChunk(chunk(4, bundle, 4, 8));
        fresh.onEnd(BundleEnd.newBuilder().setCommit(commit).build(), new byte[32]);  // pieces are the fetcher's to check
        assertThat(fresh.done()).isTrue();
    }

    @Test
    void aRangeRefusesAnotherBundleOrMissingPieceDigests() throws Exception {
        FetchSession other = FetchSession.range(commit, 100, ByteString.EMPTY, 0, 4, new byte[32]);
        greet(other);
        assertThatThrownBy(() -> other.onHeader(piecedHeader())).hasMessageContaining("different bundle");
        FetchSession bare = FetchSession.range(commit, 100, ByteString.EMPTY, 0, 4, null);
        greet(bare);
        assertThatThrownBy(() -> bare.onHeader(header())).hasMessageContaining("pieces of 0 bytes");
        FetchSession short_ = FetchSession.range(commit, 100, ByteString.EMPTY, 0, 4, null);
        greet(short_);
        assertThatThrownBy(() -> short_.onHeader(piecedHeader().toBuilder().clearPieceSha256()
                .addAllPieceSha256(piecedHeader().getPieceSha256List().subList(1, 3)).build()))
                .hasMessageContaining("2 piece digests for 3 pieces");
    }

    @Test
    void busyAndOtherBundleAreDeclinedNotFaults() throws Exception {
        greet(session);
        assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE).build()))
                .isInstanceOfSatisfying(PeerFailure.class, f -> {
                    assertThat(f.declined()).isEqualTo(PeerFailure.Declined.BUSY);
                    assertThat(f.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST);
                    assertThat(f.resumable()).isFalse();
                });
        assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(Error.Code.CONFLICT).build()))
                .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.declined()).isEqualTo(PeerFailure.Declined.OTHER_BUNDLE));
    }

    @Test
    void aBusyCarriesTheHoldersRetryAfterHintAndOneWithoutItSaysNone() throws Exception {
        greet(session);
        assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE).setRetryAfterMs(7_000).build()))
                .isInstanceOfSatisfying(PeerFailure.class, f -> {
                    assertThat(f.declined()).isEqualTo(PeerFailure.Declined.BUSY);
                    assertThat(f.retryAfterMs()).isEqualTo(7_000);
                    assertThat(f.blameless()).isTrue();
                });
        assertThatThrownBy(() -> session.onError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE).build())) // an older holder's
                .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.retryAfterMs()).isZero());
        // The hint has presence: an error that never set it (every coordinator error body) prints no new key.
        assertThat(dev.rhizome.protocol.Json.print(Error.newBuilder().setCode(Error.Code.NOT_FOUND).setMessage("m").build()))
                .doesNotContain("retry_after_ms");
    }

    @Test
    void aBusyMidTransferIsAnUploadEndedEarlyToShareTheSlots_declinedNotAFault() throws Exception {
        greet(session);
        session.onHeader(header());
        session.onChunk(chunk(0, bundle, 0, 4));
        assertThatThrownBy(() -> session.onError(ServeSession.busy("upload ended early").getError()))
                .isInstanceOfSatisfying(PeerFailure.class, f -> {
                    assertThat(f.declined()).isEqualTo(PeerFailure.Declined.BUSY);
                    assertThat(f.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST);  // costs the server nothing
                    assertThat(f.resumable()).isFalse();  // the fetcher asks another holder
                });
    }

    @Test
    void aBusyAfterMostOfTheBytesIsALateDecline_stillNoFault() throws Exception {
        greet(session);
        session.onHeader(header());
        session.onChunk(chunk(0, bundle, 0, 6));
        assertThatThrownBy(() -> session.onError(ServeSession.busy("upload ended early").getError()))
                .isInstanceOfSatisfying(PeerFailure.class, f -> {
                    assertThat(f.declined()).isEqualTo(PeerFailure.Declined.ENDED_LATE);
                    assertThat(f.blameless()).isTrue();
                });
    }

    @Test
    void aResumeOfAKeptPrefixTakesTheRestOfThatBundleAndDeclinesOtherPieceDigests() throws Exception {
        BundleHeader pieced = piecedHeader();
        KeptPrefix kept = KeptPrefix.of(bundle.length, pieced.getSha256().toByteArray(), pieced.getPieceBytes(),
                pieced.getPieceSha256List(), java.util.List.of(pieced.getPieceSha256(0).toByteArray()), java.util.List.of());
        FetchSession resumed = FetchSession.resuming(commit, 100, ByteString.EMPTY, kept);
        greet(resumed);
        resumed.onHeader(pieced);
        assertThatThrownBy(() -> resumed.onChunk(chunk(0, bundle, 0, 4))).hasMessageContaining("expected " + kept.length());
        FetchSession other = FetchSession.resuming(commit, 100, ByteString.EMPTY, kept);
        greet(other);
        BundleHeader lying = pieced.toBuilder().setPieceSha256(0, ByteString.copyFrom(new byte[32])).build();
        assertThatThrownBy(() -> other.onHeader(lying))
                .isInstanceOfSatisfying(PeerFailure.class, f -> assertThat(f.declined()).isEqualTo(PeerFailure.Declined.OTHER_BUNDLE));
    }
}
