package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Where a job's own directories are inside its sandbox, and every path it is handed with them. */
class SandboxPathsTest {
    private static final Path CHECKOUT = Path.of("/tmp/rhizome-jobs-1000-0123456789abcdef/slot-0/unit-1");
    private static final Path HARNESS = Path.of("/tmp/rhizome-jobs-1000-0123456789abcdef/slot-0/unit-1.harness");
    private static final Path RESULT = Path.of("/tmp/rhizome-jobs-1000-0123456789abcdef/slot-0/unit-1.result");
    private static final Path JDK = Path.of("/opt/jdk-17");

    @Test
    void aPlainJobsCheckoutIsAtJobWritableAndEveryPathIntoItMovesWithIt() {
        Confinement job = new Confinement(CHECKOUT, List.of(CHECKOUT), List.of(JDK),
                Map.of("HOME", CHECKOUT.toString(), "PATH", CHECKOUT + "/bin:/usr/bin:" + JDK + "/bin", "LANG", "C.UTF-8"));
        SandboxPaths paths = SandboxPaths.of(job);

        assertThat(paths.mounts(Set.of(Path.of("/usr")))).containsExactly(
                new SandboxPaths.Mount(CHECKOUT, Path.of("/job"), true), new SandboxPaths.Mount(JDK, JDK, false));
        assertThat(paths.insideValues(job.env())).containsEntry("HOME", "/job")
                .containsEntry("PATH", "/job/bin:/usr/bin:/opt/jdk-17/bin").containsEntry("LANG", "C.UTF-8");
        assertThat(paths.insideAll(List.of(JDK + "/bin/java", CHECKOUT + "/Train.java", "Train.java", CHECKOUT + "x")))
                .containsExactly("/opt/jdk-17/bin/java", "/job/Train.java", "Train.java", CHECKOUT + "x");
        assertThat(BwrapCommand.environment(job)).containsEntry("HOME", "/job").containsEntry("TMPDIR", "/tmp")
                .containsEntry("PATH", "/job/bin:/usr/bin:/opt/jdk-17/bin");
    }

    @Test
    void aHarnessRunsInItsFilesAtJobReadOnlyAndWritesItsResultAtOut() {
        Confinement harness = new Confinement(HARNESS, List.of(RESULT), List.of(HARNESS, JDK),
                Map.of("HOME", HARNESS.toString(), HarnessedRunner.RESULT_FILE_ENV, RESULT.resolve("result").toString()));
        SandboxPaths paths = SandboxPaths.of(harness);

        assertThat(paths.mounts(Set.of())).containsExactly(new SandboxPaths.Mount(HARNESS, Path.of("/job"), false),
                new SandboxPaths.Mount(RESULT, Path.of("/out"), true), new SandboxPaths.Mount(JDK, JDK, false));
        assertThat(BwrapCommand.environment(harness)).containsEntry("HOME", "/job")
                .containsEntry(HarnessedRunner.RESULT_FILE_ENV, "/out/result");
        assertThat(String.join(" ", BwrapCommand.options(BwrapCommandTest.plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE,
                java.util.OptionalInt.empty(), GpuPassthrough.NONE), harness, false, FakeHost.debian(), java.util.Map.of())))
                .contains("--ro-bind " + HARNESS + " /job", "--bind " + RESULT + " /out", "--chdir /job")
                .doesNotContain("--bind " + HARNESS, "--ro-bind " + RESULT);
    }

    @Test
    void aModelSeesItsCheckoutAtJobReadOnly() {
        Confinement model = new Confinement(CHECKOUT, List.of(), List.of(CHECKOUT, JDK),
                Map.of("HOME", CHECKOUT.toString()), List.of(CHECKOUT));

        assertThat(SandboxPaths.of(model).mounts(Set.of())).containsExactly(
                new SandboxPaths.Mount(CHECKOUT, Path.of("/job"), false), new SandboxPaths.Mount(JDK, JDK, false));
        assertThat(BwrapCommand.environment(model)).containsEntry("HOME", "/job").containsEntry("TMPDIR", "/tmp");
    }
}
