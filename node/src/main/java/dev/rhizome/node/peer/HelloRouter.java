package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerMessage;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Reads an inbound connection's first message and decides what it is: a hello with a NodeInfo
 * opens a gossip link and goes to the {@link GossipAcceptor}; anything else is a bundle client and
 * stays with the serving handler. Either way the router then leaves the pipeline.
 */
final class HelloRouter extends ChannelInboundHandlerAdapter {
    static final String NAME = "hello-router";

    private final GossipAcceptor gossip;

    HelloRouter(GossipAcceptor gossip) {
        this.gossip = gossip;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.pipeline().remove(this);
        if (msg instanceof PeerMessage message && message.hasHello() && message.getHello().hasNodeInfo()) {
            // Bundle serving and its idle rule are for clients; a gossip link is long-lived and quiet.
            ctx.pipeline().remove(PeerServer.SERVE);
            ctx.pipeline().remove(PeerServer.IDLE);
            // The handshake deadline stays until the link is up: the link lifts it (GossipLink).
            gossip.accept(ctx.channel(), message.getHello());
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
