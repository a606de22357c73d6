package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServeSessionTest {
    final PeerMessage ourHello = PeerMessages.hello(Identity.generate());
    final ServeSession session = new ServeSession(ourHello);
    final String commit = "c".repeat(40);

    static PeerMessage request(BundleRequest.Builder request) {
        return PeerMessage.newBuilder().setBundleRequest(request).build();
    }

    @Test
    void answersHelloThenServesOneRequestAtATime() {
        assertThat(session.onMessage(PeerMessages.hello(Identity.generate()))).isEqualTo(new ServeSession.Reply(ourHello));
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit).addHave("d".repeat(40)).setOffset(5))))
                .isEqualTo(new ServeSession.Serve(commit, List.of("d".repeat(40)), 5));
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit))))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void answersBusyPastTheUploadLimitAndServesAgainOnceASlotIsFree() {
        UploadSlots slots = new UploadSlots(1);
        ServeSession first = new ServeSession(ourHello, slots);
        ServeSession second = new ServeSession(ourHello, slots);
        first.onMessage(PeerMessages.hello(Identity.generate()));
        second.onMessage(PeerMessages.hello(Identity.generate()));
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
        session.onMessage(PeerMessages.hello(Identity.generate()));
        byte[] sha = new byte[32];
        sha[0] = 7;
        ServeSession.Decision d = session.onMessage(request(BundleRequest.newBuilder().setCommit(commit).setOffset(1 << 20)
                .setLength(1 << 20).setBundleSha256(ByteString.copyFrom(sha))));
        assertThat(d).isInstanceOfSatisfying(ServeSession.Serve.class, serve -> {
            assertThat(serve.offset()).isEqualTo(1 << 20);
            assertThat(serve.length()).isEqualTo(1 << 20);
            assertThat(serve.sha256()).isEqualTo(sha);
        });
        ServeSession other = new ServeSession(ourHello);
        other.onMessage(PeerMessages.hello(Identity.generate()));
        assertThat(other.onMessage(request(BundleRequest.newBuilder().setCommit(commit).setBundleSha256(ByteString.copyFrom(new byte[5])))))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void takesTheNextRequestOnceTheFirstIsFinished() {
        session.onMessage(PeerMessages.hello(Identity.generate()));
        session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)));
        session.finished();
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit)))).isInstanceOf(ServeSession.Serve.class);
    }

    @Test
    void refusesWhatBreaksTheProtocol() {
        assertThat(session.onMessage(request(BundleRequest.newBuilder().setCommit(commit))))
                .isEqualTo(new ServeSession.Refuse(Error.Code.BAD_REQUEST, "bundle request before hello"));
        ServeSession fresh = new ServeSession(ourHello);
        assertThat(fresh.onMessage(PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(2)
                .setNode(ByteString.copyFrom(new byte[32]))).build()))
                .extracting(d -> ((ServeSession.Refuse) d).code()).isEqualTo(Error.Code.UNSUPPORTED);
        ServeSession shortId = new ServeSession(ourHello);
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
            ServeSession s = new ServeSession(ourHello);
            s.onMessage(PeerMessages.hello(Identity.generate()));
            assertThat(s.onMessage(request(bad))).as(bad.toString()).isInstanceOf(ServeSession.Refuse.class);
        }
        session.onMessage(PeerMessages.hello(Identity.generate()));
        assertThat(session.onMessage(PeerMessage.newBuilder().setBundleChunk(BundleChunk.getDefaultInstance()).build()))
                .isInstanceOf(ServeSession.Refuse.class);
    }

    @Test
    void anUploadEndedEarlyForAnotherPeersIsToldBusyAndItsSlotIsTheirs() {
        UploadSlots slots = new UploadSlots(1, 2, 10_000);
        List<UploadSlots.Upload> told = new ArrayList<>();
        ServeSession rogue = new ServeSession(ourHello, slots, "10.0.0.1", told::add);
        ServeSession rogueAgain = new ServeSession(ourHello, slots, "10.0.0.1", told::add);
        ServeSession honest = new ServeSession(ourHello, slots, "10.0.0.2", told::add);
        rogue.onMessage(PeerMessages.hello(Identity.generate()), 0);
        rogueAgain.onMessage(PeerMessages.hello(Identity.generate()), 0);
        honest.onMessage(PeerMessages.hello(Identity.generate()), 0);
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
