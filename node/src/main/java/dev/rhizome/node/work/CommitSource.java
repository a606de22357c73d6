package dev.rhizome.node.work;

import dev.rhizome.node.peer.FetchException;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.List;

/**
 * The one way the work loop gets a commit into the repository before running it: from the
 * peers that hold it. Narrow on purpose, so the fetch path behind it can change.
 */
@FunctionalInterface
public interface CommitSource {
    void fetch(String commit, List<PeerEndpoint> suggestedPeers) throws FetchException, InterruptedException;
}
