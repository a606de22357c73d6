package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.LinkBacklog;
import dev.rhizome.node.gossip.core.LinkEnd;
import dev.rhizome.node.gossip.core.LinkHandshake;
import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.node.peer.HandshakeDeadline;
import dev.rhizome.node.peer.InboundLimits;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.DecoderException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gossip link on a Netty channel, either direction: feeds the handshake's state machine
 * ({@link LinkHandshake}) and writes what it answers, then hands gossip frames to the service's
 * core thread. Anything else on the link, or a frame the codec refuses, is a violation and ends
 * the link. A peer that sends faster than the core thread handles its messages stops being read
 * until the backlog halves. All its handshake state is touched on the channel's event loop only.
 */
final class GossipLink extends SimpleChannelInboundHandler<PeerMessage> {
    private static final Logger log = LoggerFactory.getLogger(GossipLink.class);
    /** Identities and connections cost a peer nothing, so neither bounds these: the budget does. */
    private static final WarnBudget REFUSED = new WarnBudget(log);
    private static final WarnBudget VIOLATION = new WarnBudget(log);
    static final String NAME = "gossip";
    /** Gossip messages are small: a link with this much unsent has a peer that stopped reading, and sends to it are dropped. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);

    private final LinkEvents events;
    private final LinkHandshake handshake;
    private final PublicId dialled;
    /** Our messages handed to the core and not yet handled: the core's bound says when to stop reading. */
    private final LinkBacklog backlog = new LinkBacklog();
    private ChannelHandlerContext ctx;
    /** Set once on the event loop when the handshake passed; read by the core thread after that. */
    private volatile Verified<NodeInfo> peerInfo;
    private volatile boolean closedByUs;
    /** An inbound link's remote end once we answered its hello (a verification and a signature paid); null before. */
    private LinkEnd answered;
    /** Whether the peer's clock, read from its hello, was told ({@link LinkEvents#peerClock}); once a link. */
    private boolean clockTold;

    /** @param dialled the node we dialled, or null for a link the peer opened */
    GossipLink(LinkEvents events, LinkHandshake handshake, PublicId dialled) {
        this.events = events;
        this.handshake = handshake;
        this.dialled = dialled;
    }

    /** The handshake's time is kept by the {@link HandshakeDeadline} before this handler, on both ends. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (handshake.outbound()) {
            step(handshake.open());
        }
        ctx.fireChannelActive();
    }

    /**
     * An inbound link: the server read the peer's hello before handing the connection over, and it
     * waited its turn ({@link HandshakeGate}); by then the handshake may have timed out.
     */
    void acceptHello(Hello hello) {
        if (handshake.state() != LinkHandshake.State.AWAIT_HELLO || !ctx.channel().isActive()) {
            return;
        }
        LinkHandshake.Step step = handshake.receive(PeerMessage.newBuilder().setHello(hello).build(), events.wallMs());
        if (step.state() == LinkHandshake.State.AWAIT_PROOF) {
            answered = remote();
        }
        step(step);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
        if (handshake.state() != LinkHandshake.State.UP) {
            step(handshake.receive(message, events.wallMs()));
            return;
        }
        Gossip gossip;
        if (message.getBodyCase() == PeerMessage.BodyCase.GOSSIP) {
            gossip = message.getGossip();
        } else if (unknownBody(message)) {
            // Perhaps a newer version's kind: the core judges it as a Gossip body it does not know
            // (NewerKind: dropped at no cost within the link's rate, or malformed). It scored -4 and
            // closed the link, so a newer node was cut by every older neighbour.
            gossip = Gossip.newBuilder().setUnknownFields(message.getUnknownFields()).build();
        } else {
            // A kind this version knows out of place (a hello again, a fetch's message), or an empty frame.
            violation(Violation.UNEXPECTED_MESSAGE, "sent " + message.getBodyCase() + " on a gossip link");
            return;
        }
        if (backlog.received()) {
            ctx.channel().config().setAutoRead(false);
        }
        events.linkMessage(this, gossip);
    }

    /**
     * A message whose body is none this version knows, but which carries fields: perhaps a kind a
     * newer version added to {@code PeerMessage.body}. Bytes that do not parse never get here (a
     * malformed frame); fields of kinds known here are parsed as those kinds.
     */
    private static boolean unknownBody(PeerMessage message) {
        return message.getBodyCase() == PeerMessage.BodyCase.BODY_NOT_SET && !message.getUnknownFields().asMap().isEmpty();
    }

    /** Carries out one step of the handshake: write what it says, then close or report the link up. */
    private void step(LinkHandshake.Step step) {
        if (!clockTold && handshake.clockOf() != null) {
            clockTold = true;
            events.peerClock(handshake.clockOf(), handshake.clockAheadMs());
        }
        if (step.state() == LinkHandshake.State.UP) {
            // before our last handshake message goes out: the peer may open its next connection as
            // soon as it reads it, and must not find this one still counted half-open
            HandshakeDeadline.passed(ctx.pipeline());
            InboundLimits.proven(ctx.channel());  // an inbound link's place is kept from newcomers
        }
        step.send().forEach(ctx::writeAndFlush);
        switch (step.state()) {
            case REFUSED -> {
                REFUSED.warn("gossip link {} {} refused: {}", direction(), PeerMessages.remote(ctx.channel()), step.refusal());
                ctx.close();
            }
            case UP -> {
                peerInfo = handshake.peerInfo();
                events.linkUp(this, handshake.outbound());
            }
            default -> { }
        }
    }

    /** Called by the core thread once it has handled one of this link's messages. */
    void handled() {
        if (backlog.handled() && !ctx.channel().config().isAutoRead()) {
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

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (peerInfo != null) {
            events.linkWritability(this, ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * Closes the socket of a dial the protocol gave up, whether or not this handler is installed yet;
     * a handshake that completes meanwhile is never reported up ({@link LinkEvents#linkUp}).
     */
    void abandon(Channel channel) {
        closedByUs = true;
        channel.close();
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
        VIOLATION.warn("gossip peer {} at {}: {}; closing", peer().shortForm(), PeerMessages.remote(ctx.channel()), detail);
        events.linkViolation(this, violation);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (answered != null && peerInfo == null) {
            // It took our hello and never proved its key: churn the core counts (a loop of these cost a signature each).
            events.handshakeAbandoned(answered);
        }
        events.linkDown(this);
        ctx.fireChannelInactive();
    }

    private String direction() {
        return handshake.outbound() ? "to" : "from";
    }

    boolean outbound() {
        return handshake.outbound();
    }

    /** The node we dialled, or null for an inbound link. */
    PublicId dialled() {
        return dialled;
    }

    /** Outbound, refused: the key that proved itself at the address we dialled for another; null otherwise. */
    PublicId answeredBy() {
        return handshake.answeredBy();
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

    /** The peer's IP address, or null when the channel is not a socket's. */
    InetAddress remoteAddress() {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    /**
     * The link's remote end for the core: its address as per-address bounds count it, and its
     * reach; a channel without an inet address is taken as from the internet, the strictest (only
     * global addresses are learnt from it).
     */
    LinkEnd remote() {
        InetAddress address = remoteAddress();
        return new LinkEnd(PeerMessages.addressKey(ctx.channel()),
                address == null ? PeerAddress.Reach.GLOBAL : PeerAddress.reach(address));
    }

    boolean closedByUs() {
        return closedByUs;
    }

    boolean isActive() {
        return ctx.channel().isActive();
    }
}
