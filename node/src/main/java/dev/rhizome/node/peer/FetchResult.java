package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerEndpoint;

/**
 * A commit now held. {@code from} is the peer that delivered it, with the node id it announced in
 * its hello; it is null when the commit was already held and nothing was transferred.
 */
public record FetchResult(String commit, PeerEndpoint from, long bytes, long millis, boolean alreadyHad) {
    public static FetchResult alreadyHeld(String commit) {
        return new FetchResult(commit, null, 0, 0, true);
    }
}
