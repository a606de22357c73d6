package dev.rhizome.node.peer;

/** Told as bundle bytes arrive; called on a network thread, so it must be quick and thread-safe. */
@FunctionalInterface
public interface TransferProgress {
    TransferProgress NONE = (commit, bytesSoFar, totalBytes) -> { };

    void update(String commit, long bytesSoFar, long totalBytes);
}
