package dev.rhizome.ops.bench;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Seed;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * A seed of short shell jobs and experiments on it, for measuring what the node adds between
 * jobs. Each job prints the wall-clock millisecond it starts and ends (from {@code date}, the
 * job's own view, as a GPU would see it), sleeps through its steps, and prints a metric read
 * from its one editable file. One random seed per commit (`adoption_seeds` 1): these jobs measure
 * scheduling, so each experiment is exactly one unit.
 */
public final class ShortJobs {
    static final String JOB = """
            echo "job-start $(date +%s%3N)"
            i=0
            while [ "$i" -lt "${RHIZOME_STEPS:-1}" ]; do
              sleep @PAUSE@
              i=$((i+1))
              echo "step $i/${RHIZOME_STEPS:-1}"
            done
            echo "---"
            echo "val_bpb: $(cut -d= -f2 config.properties)"
            echo "num_steps: ${RHIZOME_STEPS:-1}"
            echo "job-end $(date +%s%3N)"
            """;

    /** One job's span in epoch milliseconds, as the job itself printed it. */
    public record Span(long startMs, long endMs) {
    }

    private ShortJobs() {
    }

    public static SortedMap<String, byte[]> seed(String name, int steps, double stepSeconds, int timeoutSeconds) {
        SortedMap<String, byte[]> files = new TreeMap<>();
        files.put("rhizome.json", ("""
                {"name": "%s", "command": ["sh", "job.sh"], "budget": {"steps": %d}, "random_seed": 1,
                 "metric": {"name": "val_bpb", "lower_is_better": true, "tolerance": 0.001},
                 "editable_files": ["config.properties"], "timeout_seconds": %d, "hardware_class": "any",
                 "adoption_seeds": 1}
                """.formatted(name, steps, timeoutSeconds)).getBytes(StandardCharsets.UTF_8));
        files.put("config.properties", "x=1\n".getBytes(StandardCharsets.UTF_8));
        files.put("job.sh", JOB.replace("@PAUSE@", String.format("%.3f", stepSeconds)).getBytes(StandardCharsets.UTF_8));
        return files;
    }

    /** {@code n} experiments, each a child of the seed commit with its own value in config.properties. */
    public static List<String> commits(NodeRepository repo, String seedCommit, int n) throws IOException {
        PersonIdent author = new PersonIdent("bench", "bench@rhizome");
        List<String> commits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, byte[]> change = new HashMap<>();
            change.put("config.properties", ("x=" + (1 + i / 1000.0) + "\n").getBytes(StandardCharsets.UTF_8));
            commits.add(repo.commitFiles(seedCommit, change, "bench job " + i, author));
        }
        return commits;
    }

    public static Direction direction(CoordinatorClient operator, Seed seed, String name) {
        return Direction.newBuilder().setName(name).setSeed(seed.getName()).setBaseCommit(seed.getCommit())
                .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                .build();
    }

    public static void register(CoordinatorClient proposer, Seed seed, String direction, List<String> commits)
            throws CoordinatorException {
        for (int i = 0; i < commits.size(); i++) {
            proposer.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection(direction)
                    .setCommit(commits.get(i)).setParent(seed.getCommit())
                    .setProposer(proposer.identity().publicId().toByteString())
                    .setDescription("bench job " + i).setCreatedMs(System.currentTimeMillis()).build());
        }
    }

    /** The spans of every job log in {@code logs}, sorted by start; logs without both lines are skipped. */
    public static List<Span> spans(Path logs) throws IOException {
        List<Span> spans = new ArrayList<>();
        if (!Files.isDirectory(logs)) {
            return spans;
        }
        try (Stream<Path> files = Files.list(logs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
                span(Files.readString(f)).ifPresent(spans::add);
            }
        }
        spans.sort((a, b) -> Long.compare(a.startMs(), b.startMs()));
        return spans;
    }

    static Optional<Span> span(String log) {
        long start = -1;
        long end = -1;
        for (String line : log.split("\n")) {
            if (line.startsWith("job-start ")) {
                start = Long.parseLong(line.substring(10).strip());
            } else if (line.startsWith("job-end ")) {
                end = Long.parseLong(line.substring(8).strip());
            }
        }
        return start >= 0 && end >= 0 ? Optional.of(new Span(start, end)) : Optional.empty();
    }

    /** Gaps between consecutive jobs of one slot (spans that do not overlap), in ms. */
    public static long[] gaps(List<Span> spans) {
        long[] gaps = new long[Math.max(0, spans.size() - 1)];
        for (int i = 1; i < spans.size(); i++) {
            gaps[i - 1] = spans.get(i).startMs() - spans.get(i - 1).endMs();
        }
        return gaps;
    }

    /** The q-quantile (nearest rank) of {@code values}; 0 for none. */
    public static long quantile(long[] values, double q) {
        if (values.length == 0) {
            return 0;
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }
}
