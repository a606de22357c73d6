package dev.rhizome.node.job;

/**
 * The doctor's verdict for a node of an ordinary user with subordinate ids whose JDK lies under a home
 * others may not pass, run by {@link JdkReachTest} as a test-only user from such a JDK: prints the
 * {@code job user} check's detail and fix, and its {@code fix} in the {@code --json} report.
 */
public final class JdkReachCheck {
    private JdkReachCheck() {
    }

    public static void main(String[] args) {
        SandboxReport report = SandboxProbe.probe();
        System.out.println("JAVA_HOME " + System.getProperty("java.home"));
        report.checks().stream().filter(c -> c.name().equals(SandboxProbe.JOB_USER)).forEach(c -> {
            System.out.println("JOB_USER_OK " + c.ok());
            System.out.println("DETAIL " + c.detail());
            System.out.println("FIX " + c.fix());
        });
        report.toJson().getAsJsonArray("checks").forEach(c -> {
            if (c.getAsJsonObject().get("name").getAsString().equals(SandboxProbe.JOB_USER)) {
                System.out.println("JSON_FIX " + c.getAsJsonObject().get("fix").getAsString());
            }
        });
        System.out.println("JOB_UID " + (report.toJson().has("job_uid") ? report.toJson().get("job_uid").getAsString() : "-"));
    }
}
