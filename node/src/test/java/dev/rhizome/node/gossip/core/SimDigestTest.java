package dev.rhizome.node.gossip.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not a check but a tool for refactoring the core: writes, per simulation seed, a digest of every
 * effect every node emitted (contents, not just kinds), the steps, and each node's final stats, so
 * that a refactor that must not change behaviour can be compared with the code before it. Runs only
 * when asked:
 *
 * <pre>
 * mvn -B -o -pl node -am test -Dtest=SimDigestTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drhizome.sim.digest=/tmp/before.txt [-Drhizome.sim.seeds=1000]
 * </pre>
 *
 * and {@code diff} the files of two builds. Seeds 1..N at the default budget, then 1..N with a keep
 * budget of three bundles.
 */
class SimDigestTest {
    @Test
    void writeDigests() throws IOException {
        String file = System.getProperty("rhizome.sim.digest");
        assumeTrue(file != null, "set -Drhizome.sim.digest=FILE to write the digests");
        long seeds = Long.getLong("rhizome.sim.seeds", 1000);
        List<String> lines = new ArrayList<>();
        for (long seed = 1; seed <= seeds; seed++) {
            lines.add("default " + seed + " " + digest(new SimNet(seed)));
        }
        for (long seed = 1; seed <= seeds; seed++) {
            lines.add("tight " + seed + " " + digest(new SimNet(seed, 3 * SimNet.BUNDLE_BYTES)));
        }
        Files.write(Path.of(file), lines);
    }

    private static String digest(SimNet net) {
        long[] h = {17};
        net.observer = (node, effect) -> h[0] = h[0] * 1_000_003L + node * 31L + of(effect);
        String outcome;
        try {
            net.run();
            outcome = "ok";
        } catch (AssertionError | RuntimeException e) {
            outcome = "FAIL " + e.getMessage();
        }
        StringBuilder s = new StringBuilder().append(outcome).append(" steps=").append(net.steps)
                .append(" trace=").append(net.trace).append(" effects=").append(Long.toHexString(h[0]));
        for (SimNet.Node n : net.nodes) {
            s.append(" | ").append(n.core.stats()).append(" links=").append(n.core.connectedPeers().size());
        }
        return s.toString();
    }

    /** Content-based and stable across JVMs (a proto message's or an enum's own hashCode is neither). */
    private static long of(Effect effect) {
        String kind = effect.getClass().getSimpleName();
        long h = kind.hashCode();
        if (effect instanceof Effect.Send s) {
            return h * 31 + s.to().toString().hashCode() * 7L + s.message().toByteString().hashCode();
        } else if (effect instanceof Effect.Fetch f) {
            h = h * 31 + f.from().toString().hashCode() + f.commit().hashCode();
            for (PeerAddressing a : f.addresses()) {
                h = h * 31 + a.info().toByteString().hashCode() + a.learntOver().name().hashCode();
            }
            return h;
        } else if (effect instanceof Effect.Dial d) {
            return h * 31 + d.peer().toByteString().hashCode() + d.learntOver().name().hashCode();
        } else if (effect instanceof Effect.ResultSeen r) {
            return h * 31 + r.result().toByteString().hashCode();
        } else if (effect instanceof Effect.SignedSelf s) {
            return h * 31 + s.nodeInfo().toByteString().hashCode();
        } else if (effect instanceof Effect.SavePeers p) {
            for (var e : p.peers()) {
                h = h * 31 + e.toByteString().hashCode();
            }
            return h;
        }
        return h * 31 + effect.toString().hashCode();  // the rest are records of strings, ids and numbers
    }
}
