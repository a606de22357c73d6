package dev.rhizome.client.cli;

/**
 * A listing read a page at a time with {@code --after}: the coordinator's keyset cursor, passed
 * through unchanged, so a page starts exactly where the previous one ended however many entries
 * arrived meanwhile (none is lost or shown twice, as one cut client-side from a re-read list
 * could). {@code --after} with no value starts at the first page; each {@code --json} answer's
 * {@code next} is the value for the page after it, null on the last.
 */
public final class Paging {
    /** What one request may ask for: the coordinator's most per page ({@code PageRequest.MAX_LIMIT}). */
    public static final int MAX_PAGE = 1000;

    private Paging() {
    }

    /** The page size to ask for: {@code limit}, or {@code fallback} without one, at most {@link #MAX_PAGE}. */
    public static int size(Integer limit, int fallback) {
        return Math.min(MAX_PAGE, limit == null ? fallback : limit);
    }

    /** The answer's {@code next} as a command shows it: null on the last page. */
    public static String next(String fromCoordinator) {
        return fromCoordinator == null || fromCoordinator.isEmpty() ? null : fromCoordinator;
    }

    /**
     * The coordinator's refusal of a cursor (a 400 naming the query parameter {@code after}) as
     * what it is here: a bad {@code --after} value, exit 2, rather than exit 4's "refused".
     */
    public static RuntimeException badCursor(RuntimeException e) {
        if (e instanceof CommandException ce && "bad_request".equals(ce.error())
                && ce.getMessage().contains("query parameter after")) {
            String problem = ce.getMessage().replaceFirst("^.*query parameter after ", "").replaceFirst(" \\(.*$", "");
            return CommandException.usage("--after", "invalid value for --after: the cursor " + problem,
                    "pass the `next` of the previous --json answer unchanged, or --after with no value for the first page");
        }
        return e;
    }
}
