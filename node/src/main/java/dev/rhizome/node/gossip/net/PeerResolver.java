package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.protocol.PeerAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Turns a peer's address into the socket address to dial, refusing one narrower than the link
 * it was learnt over ({@link PeerAddressing}): looked up at every dial, and dialled at the very
 * address checked, so a name that resolves elsewhere a second later (DNS rebinding) is never
 * looked up again on the way. Blocks on DNS: never called on an event loop or the core thread.
 */
public final class PeerResolver {
    /** What a host name resolves to; a literal is parsed, never looked up. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] all(String host) throws UnknownHostException;
    }

    /** The system's resolver. */
    public static final PeerResolver SYSTEM = new PeerResolver(InetAddress::getAllByName);

    private final Lookup lookup;

    public PeerResolver(Lookup lookup) {
        this.lookup = lookup;
    }

    /**
     * The first address {@code address}'s host resolves to that is no narrower than the link it
     * was learnt over.
     *
     * @throws UnknownHostException when the host resolves to nothing, or only to narrower addresses
     *         (the message names them)
     */
    public InetSocketAddress resolve(PeerAddressing address) throws UnknownHostException {
        String host = address.info().getHost();
        InetAddress[] all = lookup.all(host);
        for (InetAddress candidate : all) {
            if (PeerAddress.reach(candidate).learnableOver(address.learntOver())) {
                return new InetSocketAddress(candidate, address.info().getPort());
            }
        }
        if (all.length == 0) {
            throw new UnknownHostException(host + " resolves to no address");
        }
        throw new UnknownHostException(host + " resolves to " + all[0].getHostAddress() + " (" + PeerAddress.reach(all[0])
                + "), narrower than the " + address.learntOver() + " link it was learnt over: not dialled");
    }
}
