package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;

/**
 * Where a peer may be reached ({@code info}'s host and port) and the reach of the link that
 * address was learnt over: the narrowest reach the address may turn out to have when the driver
 * resolves it. A literal's reach is known when the record is learnt ({@link PeerTable#outOfReach});
 * a name's only when it is looked up, at each dial (what it resolves to may change: DNS
 * rebinding), so a rogue on the internet naming a host whose name resolves to loopback, the LAN
 * or a cloud's metadata address has it refused at the dial instead of probed. What the volunteer
 * or the coordinator gave is learnt over {@link Reach#LOOPBACK}: trusted as configured.
 */
public record PeerAddressing(NodeInfo info, Reach learntOver) {
}
