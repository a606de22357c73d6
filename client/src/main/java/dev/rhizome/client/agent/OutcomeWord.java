package dev.rhizome.client.agent;

import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ExperimentReport;
import java.util.Locale;

/**
 * An experiment's outcome in one word, from its report as `rhizome wait` reads it: what an agent
 * scanning a direction's history filters on ("what was rejected, what crashed"). A confirmation
 * state this client does not know (a newer coordinator's) is given as the coordinator names it,
 * lower-cased, never refused: the word is for reading, and {@code report} carries the rest.
 */
public final class OutcomeWord {
    public static final String ADOPTED = "adopted";
    public static final String CONFIRMING = "confirming";
    public static final String REJECTED = "rejected";
    public static final String CRASHED = "crashed";
    public static final String GIVEN_UP = "given_up";
    public static final String PENDING = "pending";
    /** The words this client gives itself, for `--outcome`'s help and its did-you-mean. */
    public static final java.util.List<String> KNOWN = java.util.List.of(ADOPTED, CONFIRMING, REJECTED, CRASHED,
            GIVEN_UP, PENDING);

    private OutcomeWord() {
    }

    public static String of(ExperimentReport r) {
        if (r.getAdopted()) {
            return ADOPTED;
        }
        if (r.hasConfirmation()) {
            Confirmation c = r.getConfirmation();
            switch (c.getState()) {
                case CONFIRMING:
                    return CONFIRMING;
                case REFUSED:
                    return REJECTED;
                case STATE_UNSPECIFIED:
                    break;
                case UNRECOGNIZED:
                    return "confirmation_state_" + c.getStateValue();
                default:
                    // CONFIRMED yet not on the adopted path, or a state added after this client
                    return c.getState().name().toLowerCase(Locale.ROOT);
            }
        }
        if (!r.getDecided()) {
            return PENDING;
        }
        if (!r.getGivenUp().isEmpty()) {
            return GIVEN_UP;
        }
        return r.getHasMetric() ? REJECTED : CRASHED;
    }

    /**
     * Why, in a line, where the report says: the paired comparison that kept it out (mean gain, its
     * standard error and the bound it had to pass, at the trial or the confirmation seeds), the
     * confirmation's reason (superseded), why its evaluations were given up, or what its failed runs said; null else.
     */
    public static String reason(ExperimentReport r) {
        String numbers = Comparisons.whyNotAdopted(r);
        if (numbers != null) {
            return numbers;  // the rule's numbers where the coordinator sends them (round 32)
        }
        if (r.hasConfirmation() && !r.getConfirmation().getReason().isEmpty()) {
            return Untrusted.line(r.getConfirmation().getReason(), 500);
        }
        if (!r.getGivenUp().isEmpty()) {
            return Untrusted.line(r.getGivenUp(), 500);
        }
        if (!r.getHasMetric()) {
            String failures = Outcome.failures(Records.results(r.getResultsList()));
            return failures.isEmpty() ? null : failures.substring(2, failures.length() - 1);
        }
        return null;
    }
}
