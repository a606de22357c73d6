package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The verdicts a fetch from several holders gave, kept for a test to read: who failed, who said BUSY with what hint. */
final class RecordedVerdicts implements HolderVerdicts {
    final Map<PeerEndpoint, PeerFailure> faults = new ConcurrentHashMap<>();
    final Map<PeerEndpoint, Long> hints = new ConcurrentHashMap<>();

    @Override
    public void failed(PeerEndpoint holder, PeerFailure failure) {
        faults.put(holder, failure);
    }

    @Override
    public void busy(PeerEndpoint holder, long retryAfterMs) {
        hints.put(holder, retryAfterMs);
    }
}
