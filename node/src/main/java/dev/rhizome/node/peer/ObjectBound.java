package dev.rhizome.node.peer;

import dev.rhizome.node.git.PackObjectCount;
import java.nio.ByteBuffer;

/**
 * The import's object bound judged on a bundle's first bytes as they arrive, in one place for every
 * way a bundle comes: a whole transfer ({@link BundleSink}, a resumed one after replaying its kept
 * prefix) and the first piece of a fetch in pieces ({@link RangeFetch}). A pack declaring more
 * objects than this node imports ({@link PackObjectCount}) is too large here, as the import would
 * say (no fault: a larger heap takes it), and stops the transfer a few hundred bytes in.
 */
final class ObjectBound {
    private final PackObjectCount count = new PackObjectCount();
    private final long maxObjects;

    ObjectBound(long maxObjects) {
        this.maxObjects = maxObjects;
    }

    /** Reads the next bytes of the bundle (from its first); throws once its pack declares more than the bound. */
    void update(ByteBuffer data) throws PeerFailure {
        long objects = count.update(data);
        if (objects > maxObjects) {
            throw new PeerFailure(PeerFailure.Kind.TOO_LARGE, "sent a bundle whose pack holds " + objects
                    + " objects, over this node's limit of " + maxObjects + " (stopped at its header)");
        }
    }
}
