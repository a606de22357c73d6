package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class JobPriorityTest {
    private static final List<String> JOB = List.of("python3", "train.py");

    @Test
    void aCpuJobYieldsEverythingAndAGpuJobOnlyToTheOwnersPrograms() {
        JobPriority priority = JobPriority.find(name -> Optional.of(Path.of("/usr/bin", name)));

        // In a session of its own whose autogroup has the job's niceness: with autogroups, nice orders
        // tasks within their session's group only, and a new session's group starts at nice 0.
        assertThat(priority.ownSession()).isTrue();
        assertThat(priority.apply(JOB, false)).containsExactly("/usr/bin/nice", "-n", "19", "/usr/bin/ionice", "-c", "3",
                "/usr/bin/setsid", "-w", "/bin/sh", "-c", JobPriority.autogroup(19), "rhizome-priority", "python3", "train.py");
        assertThat(priority.apply(JOB, true)).containsExactly("/usr/bin/nice", "-n", "10", "/usr/bin/ionice", "-c", "2",
                "-n", "7", "/usr/bin/setsid", "-w", "/bin/sh", "-c", JobPriority.autogroup(10), "rhizome-priority", "python3",
                "train.py");
        assertThat(JobPriority.autogroup(19)).contains("echo 19 2>/dev/null > /proc/self/autogroup");
    }

    @Test
    void aMissingToolLeavesItsPriorityAsItIs() {
        Map<String, Path> onlyNice = Map.of("nice", Path.of("/bin/nice"));
        JobPriority niceOnly = JobPriority.find(name -> Optional.ofNullable(onlyNice.get(name)));
        assertThat(niceOnly.apply(JOB, false)).containsExactly("/bin/nice", "-n", "19", "python3", "train.py");

        assertThat(niceOnly.ownSession()).isFalse(); // then bubblewrap makes the job's session

        JobPriority neither = JobPriority.find(name -> Optional.empty());
        assertThat(neither.apply(JOB, true)).isEqualTo(JOB);
    }
}
