package dev.rhizome.node.peer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which holder fetches which piece of one bundle, without I/O (as a BitTorrent client plans its
 * piece requests). Holders are tried in the order given; at most {@code maxActive} fetch at once,
 * one piece each. First the probe: the first usable holder is asked for the bundle's first piece,
 * whose header says how big the bundle is and what its pieces are. Then every idle active holder
 * takes the lowest piece nobody has; once none is left, an idle holder also asks for a piece
 * another is still fetching (the endgame), so a slow holder costs one piece, not the transfer.
 * A holder that fails, declines or sends a bad piece is dropped for this bundle and the next
 * holder in order takes its place; its piece goes back to the pool.
 */
final class PiecePlan {
    /** Holder {@code holder} should fetch {@code piece}; piece {@link #PROBE} is the first piece before the header. */
    record Assignment(int holder, int piece) {
    }

    static final int PROBE = -1;

    private enum Holder { IDLE, FETCHING, DROPPED }

    private enum Piece { PENDING, FETCHING, DONE }

    private final Holder[] holders;
    private final int maxActive;
    private Piece[] pieces;
    private final List<Set<Integer>> fetchers = new ArrayList<>();
    private boolean probing;
    /** Pieces some holder's bytes failed the first holder's digest for: asked for last ({@link #pieceDisputed}). */
    private final Set<Integer> disputed = new HashSet<>();

    PiecePlan(int holderCount, int maxActive) {
        if (holderCount < 1 || maxActive < 1) {
            throw new IllegalArgumentException("need a holder and a slot");
        }
        this.holders = new Holder[holderCount];
        Arrays.fill(holders, Holder.IDLE);
        this.maxActive = maxActive;
    }

    /** The bundle turned out to have {@code count} pieces (told once, after the probe's header). */
    void pieces(int count) {
        if (pieces != null) {
            return;
        }
        pieces = new Piece[count];
        Arrays.fill(pieces, Piece.PENDING);
        for (int i = 0; i < count; i++) {
            fetchers.add(new HashSet<>());
        }
    }

    boolean knowsPieces() {
        return pieces != null;
    }

    /** New work for idle holders; the caller starts each and reports back with done or failed. */
    List<Assignment> assign() {
        List<Assignment> out = new ArrayList<>();
        if (pieces == null) {
            if (!probing) {
                int first = firstUsable();
                if (first >= 0) {
                    holders[first] = Holder.FETCHING;
                    probing = true;
                    out.add(new Assignment(first, PROBE));
                }
            }
            return out;
        }
        for (int h : activeHolders()) {
            if (holders[h] != Holder.IDLE) {
                continue;
            }
            int piece = nextPiece(h);
            if (piece < 0) {
                continue;
            }
            holders[h] = Holder.FETCHING;
            pieces[piece] = Piece.FETCHING;
            fetchers.get(piece).add(h);
            out.add(new Assignment(h, piece));
        }
        return out;
    }

    private int nextPiece(int holder) {
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == Piece.PENDING && !disputed.contains(i)) {
                return i;
            }
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == Piece.PENDING) {
                return i;
            }
        }
        // Endgame: double up on a piece only one other holder is fetching.
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == Piece.FETCHING && fetchers.get(i).size() == 1 && !fetchers.get(i).contains(holder)) {
                return i;
            }
        }
        return -1;
    }

    /** The first {@code maxActive} holders not dropped, in the order given. */
    private List<Integer> activeHolders() {
        List<Integer> active = new ArrayList<>();
        for (int h = 0; h < holders.length && active.size() < maxActive; h++) {
            if (holders[h] != Holder.DROPPED) {
                active.add(h);
            }
        }
        return active;
    }

    private int firstUsable() {
        for (int h = 0; h < holders.length; h++) {
            if (holders[h] == Holder.IDLE) {
                return h;
            }
        }
        return -1;
    }

    /** The probe came back; the pieces it covered are marked by {@link #pieceDone}. */
    void probeDone(int holder) {
        probing = false;
        holders[holder] = Holder.IDLE;
    }

    /** The probe failed: that holder is dropped and the next is probed. */
    void probeFailed(int holder) {
        probing = false;
        holders[holder] = Holder.DROPPED;
    }

    /**
     * {@code piece} is verified and stored (fetched by {@code holder}, or covered by the probe);
     * returns the other holders fetching it, whose requests the caller should cancel.
     */
    List<Integer> pieceDone(int holder, int piece) {
        List<Integer> others = new ArrayList<>();
        if (pieces[piece] != Piece.DONE) {
            pieces[piece] = Piece.DONE;
        }
        for (int h : fetchers.get(piece)) {
            if (h != holder) {
                others.add(h);
                holders[h] = Holder.IDLE;
            }
        }
        fetchers.get(piece).clear();
        if (holder >= 0 && holders[holder] == Holder.FETCHING) {
            holders[holder] = Holder.IDLE;
        }
        return others;
    }

    /** {@code holder}'s request for {@code piece} failed (or it sent a bad piece): dropped for this bundle. */
    void pieceFailed(int holder, int piece) {
        holders[holder] = Holder.DROPPED;
        Set<Integer> on = fetchers.get(piece);
        on.remove(holder);
        if (pieces[piece] == Piece.FETCHING && on.isEmpty()) {
            pieces[piece] = Piece.PENDING;
        }
    }

    /**
     * {@code holder} sent bytes for {@code piece} that failed the first holder's digest: dropped as for
     * a bad piece, and the piece is asked for again only once no other is left. Whose word was false
     * is unknown yet; the pieces done meanwhile are what can settle it (a rogue first holder naming a
     * false digest for the piece it never serves made every honest holder, asked for that lowest
     * piece in turn, fail it and be dropped before the rest was fetched).
     */
    void pieceDisputed(int holder, int piece) {
        disputed.add(piece);
        pieceFailed(holder, piece);
    }

    /** {@code holder}, not asked anything now, is not to be asked for this bundle (its address proved nothing under another key). */
    void drop(int holder) {
        if (holders[holder] == Holder.IDLE) {
            holders[holder] = Holder.DROPPED;
        }
    }

    /** A request cancelled because another holder delivered its piece first: the holder stays usable. */
    void cancelled(int holder) {
        if (holders[holder] == Holder.FETCHING) {
            holders[holder] = Holder.IDLE;
        }
    }

    boolean complete() {
        if (pieces == null) {
            return false;
        }
        for (Piece p : pieces) {
            if (p != Piece.DONE) {
                return false;
            }
        }
        return true;
    }

    /** Nothing more can happen: pieces are missing, nobody is fetching, and no holder is left to ask. */
    boolean exhausted() {
        for (Holder h : holders) {
            if (h != Holder.DROPPED) {
                return false;
            }
        }
        return !complete();
    }

    boolean isDone(int piece) {
        return pieces[piece] == Piece.DONE;
    }

    int pieceCount() {
        return pieces == null ? 0 : pieces.length;
    }
}
