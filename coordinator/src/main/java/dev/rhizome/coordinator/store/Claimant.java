package dev.rhizome.coordinator.store;

import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Reputation;
import java.util.Optional;

/**
 * What a claim checks about the key that sends it, read in one go.
 *
 * @param leasesHeld  LEASED units it holds now
 * @param reputation  its reputation, empty before its first settled result
 * @param leasesSince leases handed to it since the start of the quota's day
 * @param fromOrigin  LEASED units claimed from its address and from its network (by any key)
 */
public record Claimant(int leasesHeld, Optional<Reputation> reputation, int leasesSince, LeaseCaps.Held fromOrigin) {
}
