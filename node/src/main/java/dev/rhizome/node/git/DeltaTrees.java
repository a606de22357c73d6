package dev.rhizome.node.git;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What JGit's {@code PackParser} holds in memory at once to resolve a pack's deltas, worked out
 * from the objects' headers before it parses them. JGit resolves the deltas resting on one base
 * depth first, in pack order, and keeps a base's data until its last delta is made
 * ({@code DeltaVisit}): a delta is made with its base, its own bytes and its result in memory, and
 * every ancestor with a delta still to make stays held meanwhile. So a "comb" (each of d objects
 * the base of the next and of one more delta placed after it) holds d bases at once, though each
 * delta alone is small; a plain chain holds two.
 *
 * <p>Offset deltas name their base by position, which the scan sees. A ref delta names its base by
 * id: one this node holds is read whole first (its size is looked up, not trusted from the
 * delta); one it does not hold would be an object of the pack itself, whose id only JGit computes
 * (a delta's result has no id before it is made), so where it would hang in the trees cannot be
 * told. No honest sender writes one: every bundle on this network was written by a node's JGit
 * bundle writer (a relay serves the bytes it received), which names a base in the pack by offset
 * and one the receiver holds, an object of a prerequisite's, by id; so such a pack is a wrong
 * bundle. It was refused as too large to judge, at no cost, and a rogue serving one for each of
 * the commits it announced had each taken and scanned whole, a fetch slot held, for free.
 */
final class DeltaTrees {
    /** What this node holds: an object's size, or -1 where it does not hold it. */
    @FunctionalInterface
    interface HeldSizes {
        HeldSizes NONE = id -> -1;

        long sizeOf(ObjectId id) throws IOException;
    }

    private static final int WHOLE = -1;

    private int count;
    private long[] offsets = new long[64];
    /** A whole object's size, or the size a delta makes. */
    private long[] sizes = new long[64];
    /** A delta's own inflated bytes; 0 for a whole object. */
    private long[] deltas = new long[64];
    /** {@link #WHOLE}; an in-pack base's index; or {@code -2 - r} for the ref delta recorded r-th. */
    private int[] parents = new int[64];

    private int refs;
    private byte[] refBases = new byte[20 * 8];
    private long[] refDeclared = new long[8];

    void whole(long offset, long size) {
        add(offset, size, 0, WHOLE);
    }

    /**
     * @throws BundleException the base is no object of the pack before this one, or not of the size the delta says:
     *                         JGit would refuse it too, once it had read that base whole
     */
    void offsetDelta(long offset, long baseOffset, long declaredBase, long deltaBytes, long result) throws BundleException {
        int base = Arrays.binarySearch(offsets, 0, count, baseOffset);
        if (base < 0) {
            throw new BundleException("object " + count + " of the bundle's pack is a delta on offset " + baseOffset
                    + ", where no earlier object of the pack starts");
        }
        if (sizes[base] != declaredBase) {
            throw new BundleException("object " + count + " of the bundle's pack is a delta on a base of " + declaredBase
                    + " bytes, but its base (object " + base + ") is of " + sizes[base]);
        }
        add(offset, result, deltaBytes, base);
    }

    void refDelta(long offset, ObjectId base, long declaredBase, long deltaBytes, long result) {
        if (refs == refDeclared.length) {
            refDeclared = Arrays.copyOf(refDeclared, refs * 2);
            refBases = Arrays.copyOf(refBases, refBases.length * 2);
        }
        base.copyRawTo(refBases, 20 * refs);
        refDeclared[refs] = declaredBase;
        add(offset, result, deltaBytes, -2 - refs);
        refs++;
    }

    /**
     * The most JGit holds at once to resolve every delta, in bytes of objects' data.
     *
     * @throws BundleException a ref delta rests on an object this node does not hold, or says its base
     *                         is of another size than the one held
     * @throws IOException             looking up a held object failed
     */
    long peak(HeldSizes held) throws BundleException, IOException {
        // A held base per distinct id, its deltas hanging from it in pack order, as JGit resolves them.
        Map<ObjectId, Integer> slots = new HashMap<>();
        int[] slotOf = new int[refs];
        long[] external = new long[refs];
        int bases = 0;
        for (int r = 0; r < refs; r++) {
            ObjectId id = ObjectId.fromRaw(refBases, 20 * r);
            Integer slot = slots.get(id);
            if (slot == null) {
                long size = held.sizeOf(id);
                if (size < 0) {
                    throw new BundleException("the bundle's pack has a delta on " + id.name()
                            + " by id, an object this node does not hold: a bundle names a base in its own pack by"
                            + " offset, and by id only one of its prerequisites' objects");
                }
                slot = bases++;
                slots.put(id, slot);
                external[slot] = size;
            }
            if (external[slot] != refDeclared[r]) {
                throw new BundleException("the bundle's pack has a delta on " + id.name() + " as a base of "
                        + refDeclared[r] + " bytes, but that object is of " + external[slot]);
            }
            slotOf[r] = slot;
        }
        // Children come after their base in the pack, so one pass backwards sees a base's deltas
        // (the last one first) before the base itself.
        long[] below = new long[count];
        int[] madeBy = madeBy(slotOf, external, bases);
        boolean[] laterChild = new boolean[count];
        long[] belowExternal = new long[bases];
        boolean[] laterExternal = new boolean[bases];
        long peak = 0;
        for (int i = count - 1; i >= 0; i--) {
            int parent = parents[i];
            if (parent == WHOLE) {
                // A whole object is read into memory only when deltas rest on it (blobs stream).
                peak = Math.max(peak, below[i]);
                continue;
            }
            long subtree = Math.max(sizes[i], below[i]);
            boolean internal = parent >= 0;
            int slot = internal ? 0 : slotOf[-2 - parent];
            long base = internal ? sizes[parent] : external[slot];
            boolean later = internal ? laterChild[parent] : laterExternal[slot];
            // Made with its base and its bytes; its base then stays while a later delta still needs it.
            long holds = Math.max(base + deltas[i] + sizes[i], later ? base + subtree : subtree);
            if (internal) {
                below[parent] = Math.max(below[parent], holds);
                laterChild[parent] = true;
            } else {
                belowExternal[slot] = Math.max(belowExternal[slot], holds);
                laterExternal[slot] = true;
            }
        }
        // JGit takes a base in the pack before one this node holds: a group of ref deltas on X hangs
        // from whichever object of the pack turns out to be X, a delta's result among them (whose id
        // the scan cannot compute). A rogue that first makes a copy of a held object deep in one comb
        // has the ref deltas' comb resolved there, every base of the first still held: each tree
        // within the bound, together past it. A delta's result can be X only if it is of X's size, so
        // only such groups may nest, each at most once along a nesting (JGit takes a group's deltas
        // once), all on top of the largest tree that cannot nest. An upper bound: an honest pack's ref
        // bases (its prerequisites' objects) never come again in it, so its sum is a false alarm that
        // costs only where large objects of equal sizes meet (see Known gaps).
        long nesting = 0;
        for (int slot = 0; slot < bases; slot++) {
            if (madeBy[slot] != NOT_MADE && madeBy[slot] != slot) {
                nesting += belowExternal[slot];
            } else {
                peak = Math.max(peak, belowExternal[slot]);
            }
        }
        return peak + nesting;
    }

    private static final int NOT_MADE = -1;
    private static final int MADE_ELSEWHERE = -2;

    /**
     * For each held base, whether a delta of the pack makes an object of its size: {@link #NOT_MADE};
     * the base's own group when only its own deltas do (a file edited in place, which cannot make
     * its own base again and hang there: JGit takes a group once); else {@link #MADE_ELSEWHERE}.
     */
    private int[] madeBy(int[] slotOf, long[] external, int bases) {
        long[] baseSizes = Arrays.stream(external, 0, bases).sorted().distinct().toArray();
        int[] bySize = new int[baseSizes.length];
        Arrays.fill(bySize, NOT_MADE);
        // The held base each delta's tree hangs from (offset deltas follow their base), or MADE_ELSEWHERE
        // for one hanging from a whole object of the pack.
        int[] group = new int[count];
        for (int i = 0; i < count; i++) {
            int parent = parents[i];
            if (parent == WHOLE) {
                group[i] = MADE_ELSEWHERE;
                continue;
            }
            group[i] = parent >= 0 ? group[parent] : slotOf[-2 - parent];
            int sized = Arrays.binarySearch(baseSizes, sizes[i]);
            if (sized >= 0) {
                bySize[sized] = bySize[sized] == NOT_MADE || bySize[sized] == group[i] ? group[i] : MADE_ELSEWHERE;
            }
        }
        int[] madeBy = new int[bases];
        for (int slot = 0; slot < bases; slot++) {
            madeBy[slot] = bySize[Arrays.binarySearch(baseSizes, external[slot])];
        }
        return madeBy;
    }

    private void add(long offset, long size, long delta, int parent) {
        if (count == offsets.length) {
            int grown = count * 2;
            offsets = Arrays.copyOf(offsets, grown);
            sizes = Arrays.copyOf(sizes, grown);
            deltas = Arrays.copyOf(deltas, grown);
            parents = Arrays.copyOf(parents, grown);
        }
        offsets[count] = offset;
        sizes[count] = size;
        deltas[count] = delta;
        parents[count] = parent;
        count++;
    }
}
