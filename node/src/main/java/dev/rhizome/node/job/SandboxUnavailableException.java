package dev.rhizome.node.job;

/** This machine can't sandbox jobs; the message says which check failed and how to fix it. */
public final class SandboxUnavailableException extends Exception {
    private final transient SandboxReport report;

    public SandboxUnavailableException(SandboxReport report) {
        super("this machine cannot sandbox jobs, so the node will not run any:\n" + report.whyNot()
                + "\n(`rhizome node doctor` shows every check; `rhizome node --no-sandbox` runs jobs unprotected)");
        this.report = report;
    }

    public SandboxReport report() {
        return report;
    }
}
