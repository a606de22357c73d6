package dev.rhizome.client.agent;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Experiment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Near-duplicate changes: two experiments whose diffs add and remove mostly the same lines. A
 * diff is the set of {@code file:+line} and {@code file:-line} entries (lines present after and
 * not before, and the reverse, whitespace at the ends ignored); two diffs are compared by Jaccard
 * similarity, |A ∩ B| / |A ∪ B|. Run by `submit` against the direction's experiments this data
 * directory's repository holds, before replicas spend their budget.
 */
public final class DiffSimilarity {
    /** At or above this, `submit` warns that the same change was already tried. */
    public static final double NEAR_DUPLICATE = 0.8;
    /** Experiments compared, newest first. */
    static final int COMPARED = 200;

    private DiffSimilarity() {
    }

    public record Match(String commit, double similarity) {
    }

    public static Set<String> diff(NodeRepository repo, String parent, String commit) throws IOException {
        Set<String> entries = new HashSet<>();
        for (String path : repo.changedPaths(parent, commit)) {
            Set<String> before = lines(repo.readFile(parent, path));
            Set<String> after = lines(repo.readFile(commit, path));
            for (String l : after) {
                if (!before.contains(l)) {
                    entries.add(path + ":+" + l);
                }
            }
            for (String l : before) {
                if (!after.contains(l)) {
                    entries.add(path + ":-" + l);
                }
            }
        }
        return entries;
    }

    private static Set<String> lines(Optional<byte[]> content) {
        Set<String> lines = new HashSet<>();
        content.ifPresent(b -> new String(b, StandardCharsets.UTF_8).lines().map(String::strip)
                .filter(l -> !l.isEmpty()).forEach(lines::add));
        return lines;
    }

    static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 0;
        }
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        long common = a.stream().filter(b::contains).count();
        return (double) common / union.size();
    }

    /** The direction's experiments (held locally) whose diff is a near-duplicate of this one, most similar first. */
    public static List<Match> nearDuplicates(NodeRepository repo, String parent, String commit,
            List<Experiment> experiments) throws IOException {
        Set<String> mine = diff(repo, parent, commit);
        List<Match> matches = new ArrayList<>();
        if (mine.isEmpty()) {
            return matches;
        }
        int compared = 0;
        for (int i = experiments.size() - 1; i >= 0 && compared < COMPARED; i--) {
            Experiment e = experiments.get(i);
            if (e.getCommit().equals(commit) || !repo.has(e.getCommit()) || !repo.has(e.getParent())) {
                continue;
            }
            compared++;
            double s = jaccard(mine, diff(repo, e.getParent(), e.getCommit()));
            if (s >= NEAR_DUPLICATE) {
                matches.add(new Match(e.getCommit(), s));
            }
        }
        matches.sort(Comparator.comparingDouble(Match::similarity).reversed());
        return matches;
    }
}
