package dev.rhizome.client.agent;

import dev.rhizome.proto.v1.Leaderboard;
import java.util.List;

/**
 * The board an agent is shown of a direction's boards (one per hardware class): the one of the
 * class the direction compares in, where the coordinator names it ({@code Leaderboard.compared}),
 * else the first. Boards come sorted by class name, so the first could be a class a few keys made
 * up ({@code cpu:aaa} before {@code cpu:x86_64}), ranking results no adoption reads.
 */
public final class ComparedBoard {
    private ComparedBoard() {
    }

    /** The board to show; an empty one where there is none. */
    public static Leaderboard of(List<Leaderboard> boards) {
        return boards.stream().filter(Leaderboard::getCompared).findFirst()
                .orElse(boards.isEmpty() ? Leaderboard.getDefaultInstance() : boards.get(0));
    }
}
