package dev.rhizome.client.cli;

import java.util.List;

/**
 * A name the user gave that is not there (a direction, a seed, a hardware class): one error per kind,
 * {@code unknown_<kind>} (exit 4, the coordinator has no such thing), naming the option that gave
 * it, the names there are (the first ten) and the nearest ones, so an agent fixes a typo without
 * another call. The kinds' own commands read alike this way: `direction open --seed nope` said
 * "refused" with no option, `direction close --name nope` listed the directions.
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
        String error = "unknown_" + kind.replace(' ', '_');
        if (known.isEmpty()) {
            return new CommandException(ExitCodes.REFUSED, error, "unknown " + kind + " " + name
                    + ": this coordinator has no " + kind + " yet", noneHint, option);
        }
        List<String> meant = Suggestions.closest(name, known);
        String shown = shown(known);
        String plural = kind.endsWith("s") ? kind + "es" : kind + "s";
        return new CommandException(ExitCodes.REFUSED, error, "unknown " + kind + " " + name + " (" + plural + ": "
                + shown + ")", (meant.isEmpty() ? "" : "did you mean " + String.join(" or ", meant) + "? ") + listHint,
                option);
    }

    /** The first ten of {@code names}, comma-separated, with ", ..." when there are more. */
    static String shown(List<String> names) {
        return String.join(", ", names.size() > SHOWN ? names.subList(0, SHOWN) : names) + (names.size() > SHOWN ? ", ..." : "");
    }
}
