package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxProbeTest {
    private static final SandboxLimits LIMITS = new SandboxLimits(1L << 30, 256, 16L << 20);
    private static final CgroupV2.Detection NO_CGROUP = new CgroupV2.Detection(Optional.empty(), "none here");

    @Test
    void withoutBubblewrapTheVerdictIsNoAndSaysHowToInstallIt() {
        SandboxReport report = SandboxProbe.probe(new FakeHost(), NO_CGROUP, LIMITS,
                name -> name.equals("bwrap") ? Optional.empty() : SandboxProbe.onPath(name));

        assertThat(report.ok()).isFalse();
        assertThat(report.whyNot()).contains("bubblewrap: bwrap is not on the PATH", "apt-get install bubblewrap");
        assertThat(new SandboxUnavailableException(report).getMessage())
                .contains("will not run any", "apt-get install bubblewrap", "rhizome node doctor", "--no-sandbox");
        assertThat(report.toJson().get("sandbox").getAsBoolean()).isFalse();
    }

    @Test
    void aBubblewrapThatCannotCreateNamespacesIsNamedWithTheFix(@TempDir Path dir) throws Exception {
        // What bwrap does where the kernel or a seccomp profile forbids user namespaces: it runs, and fails at each.
        Path bwrap = dir.resolve("bwrap");
        Files.writeString(bwrap, """
                #!/bin/sh
                [ "$1" = --version ] && echo 'bubblewrap 0.8.0' && exit 0
                echo 'bwrap: No permissions to create new namespace, likely because the kernel does not allow it' >&2
                exit 1
                """);
        Files.setPosixFilePermissions(bwrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // a root node runs it as a uid of its own
        SandboxReport report = SandboxProbe.probe(new FakeHost(), NO_CGROUP, LIMITS,
                name -> name.equals("bwrap") ? Optional.of(bwrap) : SandboxProbe.onPath(name));

        assertThat(report.ok()).isFalse();
        assertThat(report.whyNot()).contains("No permissions to create new namespace");
        assertThat(report.checks()).filteredOn(c -> c.name().equals("user namespace"))
                .singleElement().satisfies(c -> {
                    assertThat(c.ok()).isFalse();
                    assertThat(c.fix()).contains("user.max_user_namespaces");
                });
    }

    /**
     * The trial ran a job as a subordinate uid (the doctor said own), then the node's own namespace failed:
     * the node refuses to run jobs, saying why, rather than run them as its user's own uid unseen.
     */
    @Test
    void aNodeToldOwnWhoseNamespaceThenFailsRefusesToRunJobsAndSaysWhy() {
        SandboxReport told = new SandboxReport(java.util.List.of(
                new SandboxReport.Check("bubblewrap", true, true, "bubblewrap 0.8.0", ""),
                new SandboxReport.Check(SandboxProbe.JOB_USER, true, false, SandboxProbe.SUBORDINATE_OWN + " (ready)", "")),
                Optional.empty());
        assertThat(told.subordinateUids()).isTrue();

        SandboxReport lost = SandboxProbe.ownLost(told, new java.io.IOException("newuidmap 4242 0 1000 1 failed (exit 1)"));

        assertThat(lost.ok()).isFalse();
        assertThat(lost.subordinateUids()).isFalse();
        assertThat(lost.whyNot()).startsWith(SandboxProbe.JOB_USER + ": " + SandboxProbe.OWN_LOST)
                .contains("newuidmap 4242 0 1000 1 failed (exit 1)", "fix: run `rhizome node doctor`");
        assertThat(lost.toJson().get("sandbox").getAsBoolean()).isFalse();
        assertThat(lost.toJson().has("job_uid")).isFalse();
        assertThat(lost.checks().get(0)).isEqualTo(told.checks().get(0));
        assertThat(new SandboxUnavailableException(lost).getMessage()).contains("will not run strangers' code");
    }
}
