package dev.rhizome.coordinator.core;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which hardware class may become the class a direction compares in (its frontier's, fixed when
 * its base is first measured). A class is the node's word: two colluding keys could claim in one
 * of their own that fits the seed's ({@code cpu:made-up} for a {@code cpu} seed), decide the
 * base's trials there first and so choose the class every later comparison reads. So a decided
 * trial sets the class only where its class is <em>established</em>: no class announced lately
 * has more networks of standing behind it. Networks and standing are counted as the spot-check
 * draw counts them ({@link SpotChecks}): a network with a node that has a valid result on record,
 * a node whose network is not known counting as one of its own. A made-up class then needs as
 * many networks of standing as the largest real class around; where nobody with standing
 * announced lately (a young network), every class counts and the first decided one is taken, as
 * before.
 */
public final class ComparisonClasses {
    /**
     * Nodes of standing seen lately that announced {@code hardwareClass} from {@code network}
     * ("": not known; each such node a network of its own): {@code nodes} of them.
     */
    public record Seen(String hardwareClass, String network, int nodes) {
    }

    private ComparisonClasses() {
    }

    /**
     * Whether {@code hardwareClass} is established among {@code seen} (the nodes of standing seen
     * lately whose class fits the seed's). A node backs the classes its announced class fits
     * ({@link HardwareClasses#fits}: an announced {@code cpu} backs every {@code cpu:...} alike,
     * so it weighs on no side).
     */
    public static boolean established(String hardwareClass, List<Seen> seen) {
        Set<String> announced = new LinkedHashSet<>();
        seen.forEach(s -> announced.add(s.hardwareClass()));
        int backing = networksBacking(hardwareClass, seen);
        for (String other : announced) {
            if (networksBacking(other, seen) > backing) {
                return false;
            }
        }
        return true;
    }

    /** The networks of standing behind {@code hardwareClass}. */
    static int networksBacking(String hardwareClass, List<Seen> seen) {
        Set<String> networks = new HashSet<>();
        int unknown = 0;
        for (Seen s : seen) {
            if (HardwareClasses.fits(s.hardwareClass(), hardwareClass)) {
                if (s.network().isEmpty()) {
                    unknown += s.nodes();
                } else {
                    networks.add(s.network());
                }
            }
        }
        return networks.size() + unknown;
    }
}
