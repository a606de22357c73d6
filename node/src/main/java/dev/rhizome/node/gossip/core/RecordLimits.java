package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;

/**
 * How large each kind of signed record a peer hands us may be, checked on the envelope's bytes
 * before its signature. The frame limit (1 MiB) alone bounds none of what these records cost once
 * taken: a NodeInfo padded to near a frame (a long host, unknown fields: a signature covers them
 * all) is kept in the peer table (256 entries), written to {@code peers.bin} (64) and handed on in
 * peer exchange, where 32 of them made an honest node's answer over the asker's frame limit, and
 * the asker then banned the honest node as oversized; a padded Result is relayed to every
 * neighbour by every node. An honest NodeInfo is a few hundred bytes and a Result well under a
 * kilobyte, so the bounds leave room for long host names and seed names, and none for padding.
 */
public final class RecordLimits {
    /** Envelope bytes of a signed NodeInfo: a 253-byte host name and its other fields fit with room to spare. */
    public static final int MAX_NODE_INFO_BYTES = 1024;
    /** Envelope bytes of a signed Result: every field is a short string, a number or a digest. */
    public static final int MAX_RESULT_BYTES = 16 * 1024;
    /**
     * Envelope bytes an Inventory may take beyond its commit ids (42 bytes each on the wire held, 43
     * given up or released, whose field numbers take two bytes) and keepers (34).
     */
    static final int INVENTORY_OVERHEAD_BYTES = 1024;

    private static final String NODE_INFO = NodeInfo.getDescriptor().getFullName();
    private static final String RESULT = Result.getDescriptor().getFullName();
    private static final String INVENTORY = Inventory.getDescriptor().getFullName();

    private RecordLimits() {
    }

    /** Why {@code envelope} is too large for its kind, or null when it is not (or of a kind this does not know). */
    static String tooLarge(SignedEnvelope envelope, GossipConfig config) {
        String type = envelope.getType();
        int max;
        if (type.equals(NODE_INFO)) {
            max = MAX_NODE_INFO_BYTES;
        } else if (type.equals(RESULT)) {
            max = MAX_RESULT_BYTES;
        } else if (type.equals(INVENTORY)) {
            max = INVENTORY_OVERHEAD_BYTES + config.maxCommitsPerInventory() * 43 + AnnouncementCheck.MAX_KEEPERS * 35;
        } else {
            return null;
        }
        int size = envelope.getSerializedSize();
        return size > max ? type + " of " + size + " bytes, at most " + max : null;
    }

    /** Why a NodeInfo envelope (a hello's, a remembered peer's) is too large, or null. */
    public static String nodeInfoTooLarge(SignedEnvelope envelope) {
        int size = envelope.getSerializedSize();
        return size > MAX_NODE_INFO_BYTES ? "NodeInfo of " + size + " bytes, at most " + MAX_NODE_INFO_BYTES : null;
    }
}
