package dev.rhizome.client.cli;

import java.util.List;

/**
 * A name the user gave that is not there (a direction, a seed, a hardware class, a commit, a unit):
 * one error per kind, {@code unknown_<kind>}, naming the option that gave it, the names there are
 * (the first ten) and the nearest ones, so an agent fixes a typo without another call. The kinds'
 * own commands read alike this way: `direction open --seed nope` said "refused" with no option,
 * `direction close --name nope` listed the directions.
 *
 * <p>Every {@code unknown_<kind>} is exit 2, a bad argument, wherever the name was found missing
 * (the coordinator's lists, the data directory's claims, a prefix matched before anything is
 * sent): an unknown direction was 4 and an unknown commit 2, so an agent could not branch on the
 * code. The rule: 2 is fixed by changing what was typed; 4 is the coordinator refusing a request
 * it understood (a closed direction, an expired lease, a key's rights), which no retyping fixes.
 */
public final class Unknown {
    private static final int SHOWN = 10;

    private Unknown() {
    }

    /**
     * @param kind     the thing's kind in words ("direction"); its error is {@code unknown_<kind>}
     * @param option   the option that gave the name, or null when the name came from elsewhere
     * @param listHint what lists them ("list them with `rhizome seed list`")
     * @param noneHint what to do when there is none at all
     */
    public static CommandException of(String kind, String option, String name, List<String> known, String listHint,
            String noneHint) {
        if (known.isEmpty()) {
            return error(kind, "unknown " + kind + " " + name + ": this coordinator has no " + kind + " yet", noneHint,
                    option);
        }
        String shown = shown(known);
        String plural = kind.endsWith("s") ? kind + "es" : kind + "s";
        return error(kind, "unknown " + kind + " " + name + " (" + plural + ": " + shown + ")",
                Suggestions.hint(name, known, listHint), option);
    }

    /**
     * {@code unknown_<kind>} (exit 2) in the caller's words, for a name whose message is its own
     * (a commit prefix, a unit id with the claims a data directory holds).
     */
    public static CommandException error(String kind, String message, String hint, String option) {
        return new CommandException(ExitCodes.USAGE, "unknown_" + kind.replace(' ', '_'), message, hint, option);
    }

    /** The first ten of {@code names}, comma-separated, with ", ..." when there are more. */
    static String shown(List<String> names) {
        return String.join(", ", names.size() > SHOWN ? names.subList(0, SHOWN) : names) + (names.size() > SHOWN ? ", ..." : "");
    }
}
