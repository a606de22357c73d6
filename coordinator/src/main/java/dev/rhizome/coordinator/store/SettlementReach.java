package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import java.util.Set;

/**
 * What settling a result on {@code commit} may reach, as stored ({@link Results#settlementReach}):
 * the directions of its unit and of the commit's experiment, those whose frontier is the commit,
 * and the runners of the commit's results, late ones included.
 */
public record SettlementReach(String commit, Set<String> directions, Set<ByteString> runners) {
    public SettlementReach {
        directions = Set.copyOf(directions);
        runners = Set.copyOf(runners);
    }
}
