package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.Hello;
import io.netty.channel.Channel;

/**
 * Takes over an inbound connection whose hello carries a signed NodeInfo: a neighbour opening a
 * gossip link rather than a client asking for bundles. Called on the channel's event loop, after
 * the server removed its own handlers past the frame codec.
 */
@FunctionalInterface
public interface GossipAcceptor {
    void accept(Channel channel, Hello hello);
}
