package dev.rhizome.node.job;

/** This machine can't sandbox jobs; the message says which check failed and how to fix it. */
public final class SandboxUnavailableException extends Exception {
    private final transient SandboxReport report;

    public SandboxUnavailableException(SandboxReport report) {
        super("this machine cannot sandbox jobs, so the node will not run any:\n" + report.whyNot()
                + "\n(`rhizome node doctor` shows every check; `rhizome node --no-sandbox` runs jobs unprotected)");
        this.report = report;
    }

    /** What to do next, for a command's hint: the message's own fix lines name the check that failed. */
    public static final String NEXT_STEP = "fix what the failed check names (`rhizome node doctor` shows every check "
            + "and its fix, and tries again), or run a node that only serves bundles with --cpu-jobs 0 --gpus none; "
            + "--no-sandbox runs jobs unprotected";

    public SandboxReport report() {
        return report;
    }
}
