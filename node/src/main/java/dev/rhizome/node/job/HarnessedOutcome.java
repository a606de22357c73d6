package dev.rhizome.node.job;

import java.util.Objects;

/** What a harnessed run came to, and, when it is not OK, why in words (empty when OK). */
public record HarnessedOutcome(JobOutcome outcome, String reason) {

    public HarnessedOutcome {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(reason, "reason");
    }
}
