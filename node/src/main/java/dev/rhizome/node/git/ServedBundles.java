package dev.rhizome.node.git;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.pack.PackConfig;
import org.eclipse.jgit.transport.BundleWriter;

/**
 * The bundles a {@link NodeRepository} serves peers: made for an asker's prerequisites (a bounded
 * number of variants per tip) or received and kept, cached on disk ({@link BundleCache}).
 */
final class ServedBundles {
    /**
     * Bundles of one tip built at most, each for another set of prerequisites. An asker picks its
     * {@code have} list, so a rogue naming a different ancestor each time made this node build and
     * cache a new bundle per request (up to one per commit in the tip's history: CPU, and disk until
     * the next prune). Past this bound an asker whose set is new is given the smallest cached bundle
     * of the tip whose prerequisites it holds, else the full one (built once). Honest askers of one
     * tip mostly hold its parent, and share one thin bundle.
     */
    static final int MAX_VARIANTS = 4;

    private final Repository repository;
    private final CommitRefs refs;
    private final BundleCache bundles;

    ServedBundles(Repository repository, CommitRefs refs, BundleCache bundles) {
        this.repository = repository;
        this.refs = refs;
        this.bundles = bundles;
    }

    /**
     * A bundle whose only ref is {@code tip}, thin against those of {@code peerHas} that we hold and
     * that are ancestors of tip (reduced to the nearest ones); full when there are none. Cached on disk; past
     * {@link #MAX_VARIANTS} bundles of tip, one already cached that the asker can import.
     */
    BundleFile bundle(String tip, Collection<String> peerHas) throws IOException {
        ObjectId tipId = refs.requireHeld(tip);
        List<ObjectId> held = new ArrayList<>();
        for (String commit : peerHas) {
            if (refs.has(commit)) {
                held.add(ObjectId.fromString(commit));
            }
        }
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit tipCommit = walk.parseCommit(tipId);
            List<RevCommit> prerequisites = Prerequisites.select(walk, tipCommit, held);
            List<String> names = prerequisites.stream().map(RevCommit::name).sorted().toList();
            if (!names.isEmpty() && !bundles.has(tip, names)) {
                List<BundleFile> variants = bundles.variants(tip);
                if (variants.size() >= MAX_VARIANTS) {
                    Optional<BundleFile> usable = importableBy(walk, prerequisites, variants);
                    if (usable.isPresent()) {
                        return usable.get();
                    }
                    return bundles.get(tip, List.of(), out -> writeBundle(repository, tipCommit, List.of(), out));
                }
            }
            return bundles.get(tip, names, out -> writeBundle(repository, tipCommit, prerequisites, out));
        }
    }

    /**
     * The smallest of {@code variants} whose every prerequisite the asker holds: an ancestor of (or
     * one of) the asker's nearest held commits {@code askerHolds}, since a repository holds every
     * ancestor of what it holds.
     */
    private static Optional<BundleFile> importableBy(RevWalk walk, List<RevCommit> askerHolds, List<BundleFile> variants)
            throws IOException {
        BundleFile best = null;
        for (BundleFile variant : variants) {
            boolean importable = true;
            for (String prerequisite : variant.prerequisites()) {
                RevCommit needed = walk.parseCommit(ObjectId.fromString(prerequisite));
                boolean held = false;
                for (RevCommit holds : askerHolds) {
                    if (walk.isMergedInto(needed, walk.parseCommit(holds))) {
                        held = true;
                        break;
                    }
                }
                if (!held) {
                    importable = false;
                    break;
                }
            }
            if (importable && (best == null || variant.size() < best.size())) {
                best = variant;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The bundle of {@code tip} whose SHA-256 is {@code sha256}, if this node can serve exactly that
     * one: a bundle it received and kept, or the one it makes for {@code peerHas}. Empty otherwise,
     * or when tip is not held.
     */
    Optional<BundleFile> bundleWithDigest(String tip, Collection<String> peerHas, byte[] sha256) throws IOException {
        if (!refs.has(tip)) {
            return Optional.empty();
        }
        Optional<BundleFile> kept = bundles.find(sha256).filter(b -> b.tip().equals(tip));
        if (kept.isPresent()) {
            return kept;
        }
        BundleFile made = bundle(tip, peerHas);
        return MessageDigest.isEqual(made.sha256(), sha256) ? Optional.of(made) : Optional.empty();
    }

    /** {@link NodeRepository#keepReceivedBundle(Path, String, PieceDigests.Result)}. */
    BundleFile keep(Path bundle, String tip, PieceDigests.Result digests) throws IOException {
        return bundles.keep(bundle, tip, sortedPrerequisites(ReceivedBundle.of(bundle)), digests);
    }

    /** {@link NodeRepository#keepReceivedBundle(byte[], String, PieceDigests.Result)}. */
    BundleFile keep(byte[] bundle, String tip, PieceDigests.Result digests) throws IOException {
        return bundles.keep(bundle, tip, sortedPrerequisites(ReceivedBundle.of(bundle)), digests);
    }

    private static List<String> sortedPrerequisites(ReceivedBundle bundle) throws IOException {
        try (InputStream in = bundle.open()) {
            return GitBundleHeader.read(in).prerequisites().stream().sorted().toList();
        } catch (BundleException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** A bundle of {@code tip} alone, thin against {@code prerequisites}, written to {@code out}. */
    static void writeBundle(Repository from, ObjectId tip, List<RevCommit> prerequisites, OutputStream out)
            throws IOException {
        BundleWriter writer = new BundleWriter(from);
        writer.setPackConfig(packConfig(from));
        writer.include(NodeRepository.COMMIT_REFS + tip.name(), tip);
        prerequisites.forEach(writer::assume);
        writer.writeBundle(NullProgressMonitor.INSTANCE, out);
    }

    /**
     * Deltas only between objects a receiver holds in memory to unpack ({@link PackLimits#maxHeldBytes}:
     * the delta, its base and its result under a share of the heap), so that a node of the same heap
     * takes what this one writes; a larger file goes whole, which JGit streams on both ends. The
     * delta search's memory is bounded to the same share: unbounded, its window held ten such files.
     */
    private static PackConfig packConfig(Repository from) {
        PackConfig config = new PackConfig(from);
        long held = PackLimits.PEERS.maxHeldBytes();
        config.setBigFileThreshold((int) Math.min(Integer.MAX_VALUE, held / 3));
        config.setDeltaSearchMemoryLimit(held);
        return config;
    }

    /** {@link NodeRepository#pruneBundleCache(long, Set)}. */
    long prune(long maxBytes, Set<String> wanted) throws IOException {
        return bundles.prune(maxBytes, wanted);
    }
}
