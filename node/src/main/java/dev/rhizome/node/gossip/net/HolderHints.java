package dev.rhizome.node.gossip.net;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.PublicId;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which neighbours said they hold which commit, for the work loop's fetches outside gossip. Only
 * a hint: an inventory counts when the neighbour on the link signed it (the signature itself is
 * the core's to check), and a fetch verifies the peer and the bundle anyway. Bounded and expiring.
 */
final class HolderHints {
    private static final String INVENTORY = Inventory.getDescriptor().getFullName();
    private static final int MAX_COMMITS = 10_000;
    private static final int MAX_HOLDERS = 16;

    private final Cache<String, Set<PublicId>> holders = Caffeine.newBuilder()
            .maximumSize(MAX_COMMITS).expireAfterWrite(Duration.ofMinutes(10)).build();

    void observe(PublicId from, Gossip message) {
        if (!message.hasAnnouncement() || !INVENTORY.equals(message.getAnnouncement().getType())
                || !from.toByteString().equals(message.getAnnouncement().getSigner())) {
            return;
        }
        try {
            Inventory inventory = Inventory.parseFrom(message.getAnnouncement().getPayload());
            for (String commit : inventory.getCommitsList()) {
                if (CommitId.isValid(commit)) {
                    Set<PublicId> set = holders.get(commit, c -> ConcurrentHashMap.newKeySet());
                    if (set.size() < MAX_HOLDERS) {
                        set.add(from);
                    }
                }
            }
        } catch (InvalidProtocolBufferException ignored) {
            // the core refuses it and scores the sender
        }
    }

    List<PublicId> holders(String commit) {
        Set<PublicId> set = holders.getIfPresent(commit);
        return set == null ? List.of() : List.copyOf(set);
    }
}
