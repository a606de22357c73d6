package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.Gossip;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gossip link, either direction: the hello exchange, then gossip frames handed to the
 * service's protocol thread. Anything else on the link, or a frame the codec refuses, is a
 * violation and ends the link. A peer that sends faster than the protocol thread handles its
 * messages stops being read until the backlog halves.
 */
final class GossipLink extends SimpleChannelInboundHandler<PeerMessage> {
    private static final Logger log = LoggerFactory.getLogger(GossipLink.class);
    static final String NAME = "gossip";
    static final int MAX_QUEUED = 256;

    private final GossipService service;
    private final boolean outbound;
    private final PublicId dialled;
    private final long handshakeTimeoutMs;
    private final AtomicInteger queued = new AtomicInteger();
    /** Made for this connection: the peer proves its key by signing it. */
    private final byte[] ourNonce = HandshakeProof.newNonce();
    private ChannelHandlerContext ctx;
    private volatile Verified<NodeInfo> peerInfo;
    private volatile boolean up;
    private volatile boolean closedByUs;

    /** @param dialled the node we dialled, or null for a link the peer opened */
    GossipLink(GossipService service, PublicId dialled, long handshakeTimeoutMs) {
        this.service = service;
        this.outbound = dialled != null;
        this.dialled = dialled;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.executor().schedule(() -> {
            if (!up && ctx.channel().isActive()) {
                log.warn("gossip link {} {}: no hello within {} ms", direction(), PeerMessages.remote(ctx.channel()),
                        handshakeTimeoutMs);
                ctx.close();
            }
        }, handshakeTimeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (outbound) {
            sendHelloOrClose(null);
        }
        ctx.fireChannelActive();
    }

    /**
     * An inbound link: the server read the peer's hello before handing the connection over. We
     * answer with our hello, which proves our key over the peer's nonce, and wait for the peer's
     * proof over ours before the link counts.
     */
    void acceptHello(Hello hello) {
        if (onHello(hello)) {
            if (hello.getNonce().size() != HandshakeProof.NONCE_BYTES) {
                refuse("hello carries no " + HandshakeProof.NONCE_BYTES + "-byte nonce");
                return;
            }
            sendHelloOrClose(hello.getNonce().toByteArray());
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
        if (!up) {
            handshake(message);
            return;
        }
        if (message.getBodyCase() != PeerMessage.BodyCase.GOSSIP) {
            violation(Violation.UNEXPECTED_MESSAGE, "sent " + message.getBodyCase() + " on a gossip link");
            return;
        }
        if (queued.incrementAndGet() >= MAX_QUEUED) {
            ctx.channel().config().setAutoRead(false);
        }
        service.linkMessage(this, message.getGossip());
    }

    /** Outbound: the peer's hello with its proof over our nonce; inbound: the peer's proof. */
    private void handshake(PeerMessage message) {
        if (outbound && peerInfo == null && message.hasHello()) {
            Hello hello = message.getHello();
            if (onHello(hello) && proven(hello.getProof().toByteArray())) {
                ctx.writeAndFlush(PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(
                        ByteString.copyFrom(service.proveTo(hello.getNonce().toByteArray(), peerInfo.signer())))).build());
                linkUp();
            }
        } else if (!outbound && peerInfo != null && message.hasHelloProof()) {
            if (proven(message.getHelloProof().getProof().toByteArray())) {
                linkUp();
            }
        } else {
            refuse("sent " + message.getBodyCase() + " before completing the handshake");
        }
    }

    private boolean proven(byte[] proof) {
        if (HandshakeProof.verify(peerInfo.signer(), ourNonce, service.self(), proof)) {
            return true;
        }
        refuse("no valid proof of the key of " + peerInfo.signer().shortForm() + " (a copied hello?)");
        return false;
    }

    private void linkUp() {
        up = true;
        service.linkUp(this, outbound);
    }

    private boolean onHello(Hello hello) {
        try {
            peerInfo = Handshake.check(hello, service.self(), dialled, service.nowMs());
            return true;
        } catch (Handshake.HandshakeException e) {
            refuse(e.getMessage());
            return false;
        }
    }

    private void refuse(String why) {
        log.warn("gossip link {} {} refused: {}", direction(), PeerMessages.remote(ctx.channel()), why);
        ctx.close();
    }

    /** Our hello, with a fresh nonce and, when answering, our proof over the peer's nonce. */
    private void sendHelloOrClose(byte[] peerNonce) {
        PeerMessage hello = service.hello();
        if (hello == null) {
            ctx.close();  // still starting: the peer will redial
            return;
        }
        Hello.Builder ours = hello.getHello().toBuilder().setNonce(ByteString.copyFrom(ourNonce));
        if (peerNonce != null) {
            ours.setProof(ByteString.copyFrom(service.proveTo(peerNonce, peerInfo.signer())));
        }
        ctx.writeAndFlush(PeerMessage.newBuilder().setHello(ours).build());
    }

    /** Called by the protocol thread once it has handled one of this link's messages. */
    void handled() {
        if (queued.decrementAndGet() <= MAX_QUEUED / 2 && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Writes unless the peer has stopped reading; false when the message was dropped. */
    boolean send(Gossip message) {
        if (!ctx.channel().isWritable()) {
            return false;
        }
        ctx.writeAndFlush(PeerMessage.newBuilder().setGossip(message).build());
        return true;
    }

    /** Closes the link; its closing is not reported to the protocol, which asked for it or knows. */
    void close() {
        closedByUs = true;
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException && peerInfo != null) {
            violation(PeerMessages.isOversized(cause) ? Violation.OVERSIZED_FRAME : Violation.MALFORMED_FRAME,
                    PeerMessages.describe(cause));
        } else {
            log.debug("gossip link {} {}: {}", direction(), PeerMessages.remote(ctx.channel()), PeerMessages.describe(cause));
            ctx.close();
        }
    }

    private void violation(Violation violation, String detail) {
        log.warn("gossip peer {} at {}: {}; closing", peer().shortForm(), PeerMessages.remote(ctx.channel()), detail);
        service.linkViolation(this, violation);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        service.linkDown(this);
        ctx.fireChannelInactive();
    }

    private String direction() {
        return outbound ? "to" : "from";
    }

    boolean outbound() {
        return outbound;
    }

    /** The node we dialled, or null for an inbound link. */
    PublicId dialled() {
        return dialled;
    }

    /** The peer, once the handshake passed; null before. */
    PublicId peer() {
        Verified<NodeInfo> verified = peerInfo;
        return verified == null ? null : verified.signer();
    }

    /** The peer's NodeInfo from its hello, verified; null before the handshake. */
    Verified<NodeInfo> peerInfo() {
        return peerInfo;
    }

    boolean closedByUs() {
        return closedByUs;
    }

    boolean isActive() {
        return ctx.channel().isActive();
    }
}
