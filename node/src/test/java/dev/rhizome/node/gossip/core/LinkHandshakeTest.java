package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The link handshake as a pure state machine: two ends wired by hand, no socket, the time passed in. */
class LinkHandshakeTest {
    static final long NOW = 1_700_000_000_000L;
    final Random random = new Random(5);
    final Peer a = new Peer();
    final Peer b = new Peer();

    byte[] nonce() {
        byte[] n = new byte[HandshakeProof.NONCE_BYTES];
        random.nextBytes(n);
        return n;
    }

    @Test
    void bothEndsProveTheirKeysAndSeeEachOther() {
        LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
        LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());

        LinkHandshake.Step hello = dialler.open();
        LinkHandshake.Step answer = acceptor.receive(hello.send().get(0), NOW);
        assertThat(answer.state()).isEqualTo(LinkHandshake.State.AWAIT_PROOF);
        LinkHandshake.Step proof = dialler.receive(answer.send().get(0), NOW);
        assertThat(proof.state()).isEqualTo(LinkHandshake.State.UP);
        LinkHandshake.Step done = acceptor.receive(proof.send().get(0), NOW);

        assertThat(done.state()).isEqualTo(LinkHandshake.State.UP);
        assertThat(dialler.peer()).isEqualTo(b.id);
        assertThat(acceptor.peer()).isEqualTo(a.id);
        assertThat(acceptor.outbound()).isFalse();
    }

    @Test
    void aCopiedHelloFailsAtTheProof() {
        LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
        // The impostor replays a's genuine hello but cannot sign b's nonce with a's key.
        PeerMessage copied = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce()).open().send().get(0);
        assertThat(acceptor.receive(copied, NOW).state()).isEqualTo(LinkHandshake.State.AWAIT_PROOF);

        LinkHandshake.Step forged = acceptor.receive(PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                .setProof(ByteString.copyFrom(new byte[64]))).build(), NOW);

        assertThat(forged.state()).isEqualTo(LinkHandshake.State.REFUSED);
        assertThat(forged.refusal()).contains("copied hello");
    }

    @Test
    void theDiallerRefusesAnAnswerWithoutAValidProof() {
        LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
        dialler.open();
        // b's answer proves b's key over some other nonce, not ours.
        LinkHandshake other = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
        PeerMessage answer = other.receive(LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce()).open().send().get(0), NOW)
                .send().get(0);

        LinkHandshake.Step step = dialler.receive(answer, NOW);

        assertThat(step.state()).isEqualTo(LinkHandshake.State.REFUSED);
        assertThat(step.send()).isEmpty();
    }

    @Test
    void anotherNodeThanTheOneDialledIsRefused() {
        Peer c = new Peer();
        LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
        PeerMessage hello = dialler.open().send().get(0);
        PeerMessage fromC = LinkHandshake.accept(c.identity, c.hello(NOW), nonce()).receive(hello, NOW).send().get(0);

        LinkHandshake.Step step = dialler.receive(fromC, NOW);

        assertThat(step.state()).isEqualTo(LinkHandshake.State.REFUSED);
        assertThat(step.refusal()).contains("we dialled");
        // c proved its key over our nonce: the address is c's, which the dialler reports (not a failed address).
        assertThat(dialler.answeredBy()).isEqualTo(c.id);
    }

    @Test
    void anotherNodesHelloCopiedWithoutItsProofAtTheAddressDialledProvesNoOneThere() {
        Peer c = new Peer();
        LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
        dialler.open();
        // c's genuine hello and proof, made for another dialler's nonce, replayed by whoever sits at b's address.
        PeerMessage copied = LinkHandshake.accept(c.identity, c.hello(NOW), nonce())
                .receive(LinkHandshake.dial(a.identity, c.id, a.hello(NOW), nonce()).open().send().get(0), NOW).send().get(0);

        LinkHandshake.Step step = dialler.receive(copied, NOW);

        assertThat(step.state()).isEqualTo(LinkHandshake.State.REFUSED);
        assertThat(dialler.answeredBy()).as("a copied answer names no owner for the address").isNull();
    }

    /**
     * A node whose clock is hours off either way, dialling or answering, is still the node it says:
     * each side proves its key over a nonce the other chose, so both ends come up, each noting how
     * far the other's clock is from its own.
     */
    @Test
    void peersWhoseClocksAreHoursOffLinkOnTheirProofsAndTheSkewIsNoted() {
        long hours2 = 2 * 3_600_000L;
        for (long offset : new long[] {-hours2, hours2}) {
            // a's clock is off: its NodeInfo is dated by it, and it judges b's by it.
            LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW + offset), nonce());
            LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());

            LinkHandshake.Step answer = acceptor.receive(dialler.open().send().get(0), NOW);
            assertThat(answer.state()).as("b reads a's hello, clock off by %d ms", offset).isEqualTo(LinkHandshake.State.AWAIT_PROOF);
            LinkHandshake.Step proof = dialler.receive(answer.send().get(0), NOW + offset);
            assertThat(proof.state()).as("a reads b's answer, clock off by %d ms", offset).isEqualTo(LinkHandshake.State.UP);
            assertThat(acceptor.receive(proof.send().get(0), NOW).state()).isEqualTo(LinkHandshake.State.UP);

            assertThat(acceptor.clockOf()).isEqualTo(a.id);
            assertThat(acceptor.clockAheadMs()).isEqualTo(offset);
            assertThat(dialler.clockAheadMs()).isEqualTo(-offset);
        }
    }

    /**
     * The date window is gone from the handshake, so a replay must fail on the nonces alone: a whole
     * captured dialler's side (its hello and its proof, dated anything) sent again to a new
     * connection, and an acceptor's captured answer handed to a new dialler, are both refused.
     */
    @Test
    void aCapturedHandshakeReplayedOnANewConnectionIsRefusedWhateverItsDate() {
        for (long age : new long[] {0, LinkHandshake.MAX_AGE_MS + 1, 3 * 3_600_000L}) {
            LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW - age), nonce());
            LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW - age), nonce());
            PeerMessage hello = dialler.open().send().get(0);
            PeerMessage answer = acceptor.receive(hello, NOW - age).send().get(0);
            PeerMessage proof = dialler.receive(answer, NOW - age).send().get(0);
            assertThat(acceptor.receive(proof, NOW - age).state()).isEqualTo(LinkHandshake.State.UP);

            LinkHandshake again = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
            assertThat(again.receive(hello, NOW).state()).isEqualTo(LinkHandshake.State.AWAIT_PROOF);
            LinkHandshake.Step replayed = again.receive(proof, NOW);
            assertThat(replayed.state()).as("a hello %d ms old replayed with its proof", age).isEqualTo(LinkHandshake.State.REFUSED);
            assertThat(replayed.refusal()).contains("copied hello");

            LinkHandshake redial = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
            redial.open();
            LinkHandshake.Step answered = redial.receive(answer, NOW);
            assertThat(answered.state()).as("an answer %d ms old replayed", age).isEqualTo(LinkHandshake.State.REFUSED);
            assertThat(answered.send()).as("no proof of ours goes to a replayer").isEmpty();
        }
    }

    /** A peer whose clock is minutes fast or slow is still a peer: only a copied NodeInfo is refused. */
    @Test
    void peersWhoseClocksAreMinutesOffStillLink() {
        for (long offset : new long[] {-9 * 60_000L, 9 * 60_000L}) {
            LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
            PeerMessage skewed = LinkHandshake.dial(a.identity, b.id, a.hello(NOW + offset), nonce()).open().send().get(0);

            LinkHandshake.Step step = acceptor.receive(skewed, NOW);

            assertThat(step.state()).as("clock off by %d ms", offset).isNotEqualTo(LinkHandshake.State.REFUSED);
        }
    }

    @Test
    void aKindANewerVersionAddedIsSkippedDuringTheHandshakeAndFieldsOfNoKindRefuseIt() {
        PeerMessage newer = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(12, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8("caps")).build()).build()).build();
        LinkHandshake dialler = LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce());
        LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
        LinkHandshake.Step answer = acceptor.receive(dialler.open().send().get(0), NOW);
        assertThat(acceptor.receive(newer, NOW)).satisfies(s -> {
            assertThat(s.state()).isEqualTo(LinkHandshake.State.AWAIT_PROOF);
            assertThat(s.send()).isEmpty();
        });
        assertThat(dialler.receive(newer, NOW).state()).isEqualTo(LinkHandshake.State.AWAIT_HELLO);
        LinkHandshake.Step proof = dialler.receive(answer.send().get(0), NOW);
        assertThat(acceptor.receive(proof.send().get(0), NOW).state()).isEqualTo(LinkHandshake.State.UP);

        LinkHandshake other = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
        other.receive(LinkHandshake.dial(a.identity, b.id, a.hello(NOW), nonce()).open().send().get(0), NOW);
        PeerMessage garbage = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(12, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
        assertThat(other.receive(garbage, NOW).state()).isEqualTo(LinkHandshake.State.REFUSED);
    }

    @Test
    void gossipBeforeTheHandshakeEndsTheLinkAndAStartingNodeRefuses() {
        LinkHandshake acceptor = LinkHandshake.accept(b.identity, b.hello(NOW), nonce());
        LinkHandshake.Step early = acceptor.receive(PeerMessage.newBuilder().setGossip(Gossip.getDefaultInstance()).build(), NOW);
        assertThat(early.state()).isEqualTo(LinkHandshake.State.REFUSED);

        LinkHandshake starting = LinkHandshake.dial(a.identity, b.id, null, nonce());
        assertThat(starting.open().state()).isEqualTo(LinkHandshake.State.REFUSED);
    }
}
