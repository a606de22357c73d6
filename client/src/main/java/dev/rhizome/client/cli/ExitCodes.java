package dev.rhizome.client.cli;

/** What the rhizome command's exit status means; agents branch on these. */
public final class ExitCodes {
    public static final int OK = 0;
    /** Something failed here: bad files, a failed fetch, an I/O error. */
    public static final int FAILED = 1;
    /**
     * Bad command-line arguments (picocli's own code): an option or value, a commit the seed's rules
     * refuse, or a name that names nothing, every {@code unknown_<kind>} ({@link Unknown}).
     */
    public static final int USAGE = 2;
    /** `claim` found no work to hand out right now; try again later. */
    public static final int NO_WORK = 3;
    /** The coordinator refused a request it understood (a closed direction, an expired lease, a conflict, a key's rights). */
    public static final int REFUSED = 4;
    /** The coordinator could not be reached. */
    public static final int UNREACHABLE = 5;
    /** `wait` or `submit --wait` gave up before the experiment was decided. */
    public static final int TIMED_OUT = 6;
    /**
     * `wait` or `submit --wait` ended early: every node that can run the experiment's queued
     * evaluations is paused by its volunteer, so waiting on would run nothing ({@code nodes_paused}).
     */
    public static final int NODES_PAUSED = 7;

    private ExitCodes() {
    }

    /** The generic {@code error} name of an exit code, for failures that have no more specific one. */
    public static String name(int exitCode) {
        return switch (exitCode) {
            case OK -> "ok";
            case USAGE -> "usage";
            case NO_WORK -> "no_work";
            case REFUSED -> "refused";
            case UNREACHABLE -> "unreachable";
            case TIMED_OUT -> "timed_out";
            case NODES_PAUSED -> "nodes_paused";
            default -> "failed";
        };
    }
}
