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

        assertThat(priority.apply(JOB, false))
                .containsExactly("/usr/bin/nice", "-n", "19", "/usr/bin/ionice", "-c", "3", "python3", "train.py");
        assertThat(priority.apply(JOB, true))
                .containsExactly("/usr/bin/nice", "-n", "10", "/usr/bin/ionice", "-c", "2", "-n", "7", "python3", "train.py");
    }

    @Test
    void aMissingToolLeavesItsPriorityAsItIs() {
        Map<String, Path> onlyNice = Map.of("nice", Path.of("/bin/nice"));
        JobPriority niceOnly = JobPriority.find(name -> Optional.ofNullable(onlyNice.get(name)));
        assertThat(niceOnly.apply(JOB, false)).containsExactly("/bin/nice", "-n", "19", "python3", "train.py");

        JobPriority neither = JobPriority.find(name -> Optional.empty());
        assertThat(neither.apply(JOB, true)).isEqualTo(JOB);
    }
}
