package dev.rhizome.node.gossip.core;

import com.google.protobuf.ByteString;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import java.util.Objects;

/**
 * The handshake that opens a gossip link, as a pure state machine (as {@code peer.FetchSession} is
 * for a transfer): messages in, messages to write and a verdict out; no socket, thread or clock.
 *
 * <p>The dialler sends a hello with a nonce it made for this connection. The acceptor checks it and
 * answers with its own hello, carrying its own nonce and its signature over the dialler's; the
 * dialler checks that hello and proof and answers with its signature over the acceptor's nonce. A
 * link is up only once each side has verified the other's proof, so a hello copied from elsewhere
 * can't pose as its node. A hello must carry our protocol version, a NodeInfo signed by the node it
 * names, and, when we dialled, the node we meant to reach.
 *
 * <p>Freshness comes from the nonces alone, not from the NodeInfo's date: a hello replayed on
 * another connection (or copied from peer exchange) fails at the proof, whatever its date, and a
 * node whose wall clock is hours off is still the node it says and links. Its date is noted
 * ({@link #clockAheadMs}) for the operator, and the core judges the record itself by its date
 * ({@code LinkLifecycle}: used for the link, not kept or relayed when outside the window).
 */
public final class LinkHandshake {
    /** How far a peer's clock may be from ours either way, as for announcements ({@link GossipConfig#defaults}). */
    public static final long MAX_SKEW_MS = 10 * 60_000;
    /**
     * We re-sign our own NodeInfo every minute; older than ten minutes by the signer's clock (so
     * this, by ours) in a hello means its clock is off by more than the skew, or it was copied (the
     * proof refuses that). A release before round 27 refused such a hello; it is now only noted.
     */
    public static final long MAX_AGE_MS = 10 * 60_000 + MAX_SKEW_MS;

    public enum State { AWAIT_HELLO, AWAIT_PROOF, UP, REFUSED }

    /** The outcome of one step: what to write to the peer, then the state (REFUSED: close, saying {@code refusal}). */
    public record Step(List<PeerMessage> send, State state, String refusal) {
        static Step refused(String why) {
            return new Step(List.of(), State.REFUSED, why);
        }
    }

    private final Identity self;
    private final PublicId dialled;
    private final SignedEnvelope ourInfo;
    private final byte[] ourNonce;
    private State state = State.AWAIT_HELLO;
    private Verified<NodeInfo> peerInfo;
    /** Outbound: a valid hello, in its window, from a key other than the one we dialled; null otherwise. */
    private Verified<NodeInfo> otherInfo;
    private PublicId answeredBy;
    /** The signer of the last hello whose NodeInfo verified, and how far its date was ahead of our clock. */
    private PublicId clockOf;
    private long clockAheadMs;

    private LinkHandshake(Identity self, PublicId dialled, SignedEnvelope ourInfo, byte[] ourNonce) {
        if (ourNonce.length != HandshakeProof.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce of " + ourNonce.length + " bytes");
        }
        this.self = self;
        this.dialled = dialled;
        this.ourInfo = ourInfo;
        this.ourNonce = ourNonce.clone();
    }

    /**
     * A link we dial to {@code dialled}; {@code ourInfo} is our signed NodeInfo (the core's latest
     * {@link Effect.SignedSelf}), null while the node is still starting (the link is then refused).
     */
    public static LinkHandshake dial(Identity self, PublicId dialled, SignedEnvelope ourInfo, byte[] nonce) {
        return new LinkHandshake(self, Objects.requireNonNull(dialled, "dialled"), ourInfo, nonce);
    }

    /** A link the peer opened: its hello comes first, through {@link #receive}. */
    public static LinkHandshake accept(Identity self, SignedEnvelope ourInfo, byte[] nonce) {
        return new LinkHandshake(self, null, ourInfo, nonce);
    }

    public boolean outbound() {
        return dialled != null;
    }

    public State state() {
        return state;
    }

    /**
     * The node whose signed hello was read (null until one verified), refused for its date or not:
     * its clock against ours, for the operator ({@link #clockAheadMs}).
     */
    public PublicId clockOf() {
        return clockOf;
    }

    /** How far the date of {@link #clockOf}'s NodeInfo was ahead of our wall clock (negative: behind); signed within a minute. */
    public long clockAheadMs() {
        return clockAheadMs;
    }

    /** The peer's NodeInfo from its hello, verified; null before its hello passed. */
    public Verified<NodeInfo> peerInfo() {
        return peerInfo;
    }

    /** The peer, once its hello passed; null before. */
    public PublicId peer() {
        return peerInfo == null ? null : peerInfo.signer();
    }

    /**
     * Outbound, refused: the key that answered at the address we dialled for another and proved
     * itself there (its signature over our nonce verified); null otherwise. The dialled id's record
     * names an address that is not its own, and the address is live: neither is a failed dial of it.
     */
    public PublicId answeredBy() {
        return answeredBy;
    }

    /** Outbound: the first message, our hello. */
    public Step open() {
        if (!outbound() || state != State.AWAIT_HELLO) {
            throw new IllegalStateException("open() is for a link we dial, once");
        }
        if (ourInfo == null) {
            return refuse("we are still starting");
        }
        return new Step(List.of(ourHello(null)), state, null);
    }

    /** A message from the peer while the handshake runs. */
    public Step receive(PeerMessage message, long nowMs) {
        if (state == State.UP || state == State.REFUSED) {
            throw new IllegalStateException("the handshake is over (" + state + ")");
        }
        if (message.getBodyCase() == PeerMessage.BodyCase.BODY_NOT_SET && NewerKind.is(message.getUnknownFields())) {
            return new Step(List.of(), state, null); // a newer version's kind, skipped as on the link; the timeout still runs
        }
        if (outbound() && state == State.AWAIT_HELLO && message.hasHello()) {
            Hello hello = message.getHello();
            String problem = check(hello, nowMs);
            if (otherInfo != null && HandshakeProof.verify(otherInfo.signer(), ourNonce, self.publicId(), hello.getProof().toByteArray())) {
                answeredBy = otherInfo.signer();
            }
            if (problem == null && !proven(hello.getProof())) {
                problem = "no valid proof of the key of " + peerInfo.signer().shortForm() + " (a copied hello?)";
            }
            if (problem != null) {
                return refuse(problem);
            }
            state = State.UP;
            return new Step(List.of(PeerMessages.helloProof(self, hello.getNonce(), peerInfo.signer())), state, null);
        }
        if (!outbound() && state == State.AWAIT_HELLO && message.hasHello()) {
            Hello hello = message.getHello();
            String problem = check(hello, nowMs);
            if (problem == null && hello.getNonce().size() != HandshakeProof.NONCE_BYTES) {
                problem = "hello carries no " + HandshakeProof.NONCE_BYTES + "-byte nonce";
            }
            if (problem == null && ourInfo == null) {
                problem = "we are still starting";
            }
            if (problem != null) {
                return refuse(problem);
            }
            state = State.AWAIT_PROOF;
            return new Step(List.of(ourHello(hello.getNonce())), state, null);
        }
        if (!outbound() && state == State.AWAIT_PROOF && message.hasHelloProof()) {
            if (!proven(message.getHelloProof().getProof())) {
                return refuse("no valid proof of the key of " + peerInfo.signer().shortForm() + " (a copied hello?)");
            }
            state = State.UP;
            return new Step(List.of(), state, null);
        }
        return refuse("sent " + message.getBodyCase() + " before completing the handshake");
    }

    private Step refuse(String why) {
        state = State.REFUSED;
        return Step.refused(why);
    }

    /** Our hello, with our nonce and, when answering, our proof over the peer's nonce. */
    private PeerMessage ourHello(ByteString peerNonce) {
        PeerMessage template = PeerMessages.gossipHello(self, ourInfo);
        Hello.Builder ours = template.getHello().toBuilder().setNonce(ByteString.copyFrom(ourNonce));
        if (peerNonce != null) {
            ours.setProof(PeerMessages.helloProof(self, peerNonce, peerInfo.signer()).getHelloProof().getProof());
        }
        return PeerMessage.newBuilder().setHello(ours).build();
    }

    private boolean proven(ByteString proof) {
        return HandshakeProof.verify(peerInfo.signer(), ourNonce, self.publicId(), proof.toByteArray());
    }

    /** The hello's version, NodeInfo and signer (its date noted); sets {@link #peerInfo} when it passes. Returns why not, or null. */
    private String check(Hello hello, long nowMs) {
        String problem = PeerMessages.helloProblem(hello);
        if (problem != null) {
            return problem;
        }
        if (!hello.hasNodeInfo()) {
            return "hello carries no NodeInfo";
        }
        String tooLarge = RecordLimits.nodeInfoTooLarge(hello.getNodeInfo());
        if (tooLarge != null) {
            return "hello carries a " + tooLarge;
        }
        Verified<NodeInfo> info;
        try {
            info = Envelopes.openSignedBy(hello.getNodeInfo(), NodeInfo.getDefaultInstance(), NodeInfo::getNode);
        } catch (SignatureException e) {
            return "NodeInfo refused: " + e.getMessage();
        }
        if (!info.signer().toByteString().equals(hello.getNode())) {
            return "hello names node " + PublicId.hex(hello.getNode()) + " but its NodeInfo is " + info.signer();
        }
        if (info.signer().equals(self.publicId())) {
            return "is ourselves";
        }
        // Not refused by its date: the proof over our nonce is what shows the hello is not replayed.
        clockOf = info.signer();
        clockAheadMs = info.record().getTimeMs() - nowMs;
        if (dialled != null && !dialled.equals(info.signer())) {
            otherInfo = info;
            return "is node " + info.signer().shortForm() + ", we dialled " + dialled.shortForm();
        }
        peerInfo = info;
        return null;
    }
}
