package dev.rhizome.coordinator.store;

import java.util.Optional;

/**
 * The seed a commit belongs to, known from any unit that runs it: one probe of the units' commit
 * index. A direction's base that is no experiment is its seed's commit, and opening the direction
 * queued the base's baseline units (or it had run before, from units of its own), so every commit
 * with trials has units. Finding the seed by the directions whose base it is read every direction
 * on every {@code GET /v1/trials?commit=}, however many there were.
 */
final class CommitSeeds {
    private CommitSeeds() {
    }

    static Optional<String> of(Queries q, String commit) {
        return q.list("SELECT seed FROM units WHERE commit_id = ? LIMIT 1", rs -> rs.getString(1), commit)
                .stream().findFirst();
    }
}
