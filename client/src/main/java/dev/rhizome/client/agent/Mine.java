package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Experiment;

/**
 * Whether an experiment is this data directory's agent's own: signed with its key and not
 * registered by the built-in explorer of a node sharing the directory (and so the key). `log`,
 * `log --mine` and the brief's pending experiments counted the explorer's as the agent's.
 */
public final class Mine {
    private Mine() {
    }

    public static boolean is(Experiment e, ByteString me) {
        return e.getProposer().equals(me) && !e.getBuiltinExplorer();
    }

    /** Proposed with this key by the node's built-in explorer. */
    public static boolean byOwnNodesExplorer(Experiment e, ByteString me) {
        return e.getProposer().equals(me) && e.getBuiltinExplorer();
    }
}
