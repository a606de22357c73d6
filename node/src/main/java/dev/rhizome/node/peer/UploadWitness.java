package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;

/**
 * Told each time the server has sent a whole bundle (from its first byte to its last, on one
 * connection) to a fetcher: the node whose key the fetcher proved on that connection (it signed the
 * nonce our hello made for it, so a fetcher can't take the bytes under another's id) and the commit. The gossip layer
 * takes it as evidence that a keeper of a commit made here got a copy. Called on a network thread.
 */
@FunctionalInterface
public interface UploadWitness {
    UploadWitness NONE = (node, commit) -> { };

    void servedWhole(ByteString node, String commit);
}
