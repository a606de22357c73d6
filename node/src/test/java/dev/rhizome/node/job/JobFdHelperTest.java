package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The helper's protocol on this JVM's own descriptors (the subordinate uid's side: {@link SubordinateUidTest}). */
class JobFdHelperTest {
    @TempDir
    Path dir;

    @Test
    void itAnswersEachDescriptorAsNumbersThenEndAndRefusesABadRequest() throws Exception {
        Path f = dir.resolve("held\nend 0\n1 0 0 32768 1 1 0 999999999");
        try (RandomAccessFile held = new RandomAccessFile(f.toFile(), "rw")) {
            held.setLength(10_000);
            Files.delete(f);
            long pid = ProcessHandle.current().pid();
            List<String> lines = answer("100000 0 " + pid);
            assertThat(lines.get(lines.size() - 1)).isEqualTo("end 0");
            List<JobDescriptor> found = lines.subList(0, lines.size() - 1).stream().map(JobDescriptor::parse).toList();
            // the deleted file, whose name holds line breaks and a forged line, comes as numbers only
            assertThat(found).anyMatch(d -> d.pid() == pid && d.regular() && d.nlink() == 0 && d.size() == 10_000);
            assertThat(found).noneMatch(d -> d.size() == 999_999_999L);

            assertThat(answer("2 0 " + pid)).hasSize(3).last().isEqualTo("end 1");
            assertThat(answer("x 0 " + pid)).containsExactly("error bad request");
            assertThat(answer("5")).containsExactly("error bad request");
            // a pid that is gone has none
            assertThat(answer("10 0 " + Long.MAX_VALUE)).containsExactly("end 0");
        }
    }

    private static List<String> answer(String request) throws Exception {
        StringWriter s = new StringWriter();
        try (BufferedWriter out = new BufferedWriter(s)) {
            JobFdHelper.answer(request, out);
        }
        return s.toString().lines().toList();
    }

    /**
     * The walk a node of an ordinary user asks of the helper for a job's checkout: the same count as the
     * node's own walk, a path with spaces taken whole, and a bad request or a path that is no
     * directory answered as an error the node reads as one, not as a count.
     */
    @Test
    void itWalksAWorkDirectoryAsTheNodeWouldAndRefusesABadWalk(@TempDir Path dir) throws Exception {
        Path spaced = Files.createDirectories(dir.resolve("a b/c"));
        Files.writeString(spaced.resolve("f"), "x".repeat(5000));
        StringWriter text = new StringWriter();
        try (BufferedWriter out = new BufferedWriter(text)) {
            JobFdHelper.answer(JobFdHelper.WALK + Long.MAX_VALUE + " " + Long.MAX_VALUE + " " + dir, out);
        }
        WorkDirBudget.Usage theirs = JobFdHelper.parseUsage(text.toString().strip());
        WorkDirBudget.Usage ours = WorkDirBudget.usage(dir, Long.MAX_VALUE, Long.MAX_VALUE);
        assertThat(theirs).isEqualTo(ours);
        assertThat(theirs.entries()).isEqualTo(4);

        for (String bad : List.of("walk 1 x " + dir, "walk 1", "memfiles x 1", "memfiles 10 0")) {
            StringWriter refused = new StringWriter();
            try (BufferedWriter out = new BufferedWriter(refused)) {
                JobFdHelper.answer(bad, out);
            }
            assertThat(refused.toString()).as(bad).isEqualTo("error bad request\n");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JobFdHelper.parseUsage("error bad request"))
                .hasMessageContaining("the walk failed");
    }
}
