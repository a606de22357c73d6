package dev.rhizome.coordinator.store;

import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Directions with their frontier and baseline, and the operators' closures of them. Part of
 * {@link Store.Transaction}.
 */
public interface Directions {
    Optional<DirectionRecord> direction(String name);

    /** In the order they were opened. */
    List<DirectionRecord> directions();

    /**
     * The directions standing on {@code commit} (their base or their frontier), in the order
     * opened: what a result on the commit may move, read along two indexes (migration 21) instead
     * of every direction.
     */
    List<DirectionRecord> directionsOn(String commit);

    /** Stores a new direction whose frontier is its base commit, not yet measured. */
    void insertDirection(Direction direction, SignedEnvelope envelope, long nowMs);

    void updateFrontier(String direction, Frontier frontier);

    /** Records that an operator closed a direction; false when it was already closed. */
    boolean closeDirection(String direction, String reason, long nowMs);

    /** Closed directions and why, by name. */
    Map<String, String> closedDirections();

    /** Those of the directions named that are closed, and why: reads only their closures. */
    Map<String, String> closedDirections(Collection<String> directions);

    void setBaselineMetric(String direction, double metric);

    /**
     * The base's metric unknown again: its class was chosen again, so the metric it was measured
     * at in the old one is no baseline of the new one until the base is measured there.
     */
    void clearBaselineMetric(String direction);

    /**
     * Each direction no operator closed, with its evaluations in progress and explorations
     * leased, in the order opened: what an exploring claim weighs. Reads no closure of the
     * directions left out.
     */
    List<DirectionLoad> loadsOfOpenDirections();

    /** Directions opened after envelope {@code afterSeq}, in the order opened. */
    List<Keyed<Long, DirectionRecord>> directions(long afterSeq, int limit);

    /**
     * Open directions ({@code closed} false) or closed ones, opened after envelope
     * {@code afterSeq}, in the order opened.
     */
    List<Keyed<Long, DirectionRecord>> directions(boolean closed, long afterSeq, int limit);
}
