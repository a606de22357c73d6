package dev.rhizome.client.cli;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The registered commits a mistyped commit id most likely meant. A newcomer copying `b33941039d`
 * by hand typed `b3394104` and was told only that no registered commit starts with it, and to go
 * list the tree: the commit it meant is offered instead, as a mistyped direction's name is. An id
 * is compared with each commit's start of about its own length (a digit dropped or doubled moves
 * the rest), within one slip, or two for 12 digits or more.
 */
public final class NearCommits {
    private static final int OFFERED = 3;
    private static final int SHOWN_DIGITS = 10;

    private NearCommits() {
    }

    /** At most three of {@code commits} (full ids) {@code typed} is a slip away from, closest first, each as many digits as typed (at least 10). */
    public static List<String> of(String typed, Collection<String> commits) {
        String id = typed.toLowerCase(Locale.ROOT);
        int slips = id.length() >= 12 ? 2 : 1;
        record Near(String commit, int distance) {
        }
        return commits.stream().distinct()
                .map(c -> new Near(c, distanceToStart(id, c)))
                .filter(n -> n.distance() <= slips)
                .sorted(Comparator.comparingInt(Near::distance).thenComparing(Near::commit))
                .limit(OFFERED)
                .map(n -> n.commit().substring(0, Math.min(n.commit().length(), Math.max(SHOWN_DIGITS, id.length()))))
                .toList();
    }

    private static int distanceToStart(String id, String commit) {
        int best = Integer.MAX_VALUE;
        for (int length = id.length() - 1; length <= id.length() + 1; length++) {
            if (length >= 1 && length <= commit.length()) {
                best = Math.min(best, Suggestions.distance(id, commit.substring(0, length).toLowerCase(Locale.ROOT)));
            }
        }
        return best;
    }
}
