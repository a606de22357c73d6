package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;

/**
 * Told each time the server has sent a whole bundle (from its first byte to its last, on one
 * connection) to a fetcher: the node id its fetch hello carried (which nothing proves: a fetcher
 * may name any id, but then it is the one that took the bytes) and the commit. The gossip layer
 * takes it as evidence that a keeper of a commit made here got a copy. Called on a network thread.
 */
@FunctionalInterface
public interface UploadWitness {
    UploadWitness NONE = (node, commit) -> { };

    void servedWhole(ByteString node, String commit);
}
