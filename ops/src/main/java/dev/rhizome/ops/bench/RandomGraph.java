package dev.rhizome.ops.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A random connected graph in which every node has about {@code degree} neighbours: a ring (so
 * it is connected) plus random edges until each node has its share.
 */
final class RandomGraph {
    private RandomGraph() {
    }

    /** Adjacency sets, symmetric. */
    static List<Set<Integer>> build(int nodes, int degree, Random random) {
        List<Set<Integer>> adjacent = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            adjacent.add(new HashSet<>());
        }
        for (int i = 0; i < nodes && nodes > 2; i++) {
            link(adjacent, i, (i + 1) % nodes);
        }
        List<Integer> open = new ArrayList<>();
        for (int attempt = 0; attempt < nodes * degree * 20; attempt++) {
            open.clear();
            for (int i = 0; i < nodes; i++) {
                if (adjacent.get(i).size() < degree) {
                    open.add(i);
                }
            }
            if (open.size() < 2) {
                break;
            }
            int a = open.get(random.nextInt(open.size()));
            int b = open.get(random.nextInt(open.size()));
            if (a != b) {
                link(adjacent, a, b);
            }
        }
        return adjacent;
    }

    private static void link(List<Set<Integer>> adjacent, int a, int b) {
        adjacent.get(a).add(b);
        adjacent.get(b).add(a);
    }
}
