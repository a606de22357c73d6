package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One bundle fetched in pieces from several holders at once, following a {@link PiecePlan}: each
 * request runs on its own connection under the same minimum-progress rule as a whole transfer;
 * each piece is held in memory until it matches the digest in the first holder's header, and only
 * then written at its place in the bundle ({@link ReceivedBytes}). The caller checks the whole bundle and imports it.
 *
 * <p>It may start from a {@link KeptPrefix} (pieces kept from an earlier transfer of the same
 * bundle, already in {@code into}): the probe then asks for the first piece past it, naming the
 * kept bundle, and its holder's header must name the same digests for the kept pieces, which count
 * as done. A fetch that ends early says what is worth keeping of it ({@link #keep()}), whichever
 * way it started, so the next ask, whole or in pieces, resumes from there.
 */
final class RangeFetch {
    private static final Logger log = LoggerFactory.getLogger(RangeFetch.class);

    /**
     * Starts one request on a fresh connection, once no other dial is in flight to its address
     * ({@link DialsInFlight}); {@code outcome} settles when it ends.
     */
    @FunctionalInterface
    interface Starter {
        BundleFetcher.Download start(PeerEndpoint peer, String commit, FetchSession session, TransferSink sink, PeerMessage request,
                      TransferProgress progress, CompletableFuture<Void> outcome);
    }

    /**
     * What was fetched: the bundle's size and digests as the first holder (the primary) announced
     * them (every piece matched its digest on arrival).
     */
    record Outcome(int primary, ByteString primaryNode, long size, byte[] sha256, Map<Integer, String> badPieces,
                   long bytesReceived, int pieceBytes, List<ByteString> pieceSha256) {
    }

    private record Job(int holder, int piece, long offset, FetchSession session, PieceBuffer buffer,
                       CompletableFuture<Void> outcome, BundleFetcher.Download download) {
    }

    private record Event(Job job, Throwable failure) {
    }

    private final String commit;
    private final List<PeerEndpoint> holders;
    private final PeerConfig config;
    private final List<String> have;
    private final ReceivedBytes into;
    private final Starter starter;
    private final TransferProgress progress;
    private final Cancellation cancel;
    private final HolderVerdicts verdicts;
    private final PiecePlan plan;
    /** Pieces kept from an earlier transfer, already in {@code into}; null when none. */
    private final KeptPrefix kept;
    /** A holder said it has another bundle than the kept prefix's (CONFLICT to the probe). */
    private boolean keptRefused;
    /** The first piece showed a pack past this node's object bound: nothing of it is worth keeping. */
    private boolean overObjectBound;
    private final long maxObjects;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Set<Job> live = new HashSet<>();
    private final AtomicLong arrived = new AtomicLong();
    private final Map<Integer, String> badPieces = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();
    /**
     * The primary sent a piece past its first that does not match its own header's digest: its
     * bytes or its digests are false, and either way the fault is its own. Reported when the fetch
     * ends without the bundle (a verified bundle reports it with the other bad pieces instead).
     */
    private PeerFailure primaryContradicted;
    /** Other holders' bytes for pieces that failed the primary's digests, until the dispute is settled. */
    private final DisputedPieces disputes = new DisputedPieces();
    /** A disputed copy came since the disputes were last tried against the primary's whole digest. */
    private boolean disputesChanged;
    private int primary = -1;
    private ByteString primaryNode = ByteString.EMPTY;
    private long size;
    private byte[] sha256;
    private int pieceBytes;
    private List<ByteString> pieceSha256 = List.of();

    /**
     * @param kept       a prefix of the bundle {@code into} holds already, to resume from (null: none)
     * @param maxObjects the import's object bound: a first piece whose pack declares more ends the fetch
     */
    RangeFetch(String commit, List<PeerEndpoint> holders, PeerConfig config, List<String> have, ReceivedBytes into, Starter starter,
               TransferProgress progress, Cancellation cancel, HolderVerdicts verdicts, KeptPrefix kept, long maxObjects) {
        this.kept = kept;
        this.maxObjects = maxObjects;
        this.commit = commit;
        this.holders = holders;
        this.config = config;
        this.have = have;
        this.into = into;
        this.starter = starter;
        this.progress = progress;
        this.cancel = cancel;
        this.verdicts = verdicts;
        this.plan = new PiecePlan(holders.size(), config.rangeHolders());
    }

    /** Runs until every piece is stored; throws with every holder's failure when none is left to ask. */
    Outcome run() throws FetchException, PeerFailure, InterruptedException, IOException {
        try {
            while (true) {
                if (cancel.isCancelled()) {
                    throw new PeerFailure(PeerFailure.Kind.CANCELLED, "cancelled");
                }
                for (PiecePlan.Assignment a : plan.assign()) {
                    start(a);
                }
                if (disputesChanged && settleDisputes()) {
                    continue; // the pieces are all here: the next turn returns them
                }
                if (plan.complete()) {
                    return new Outcome(primary, primaryNode, size, sha256, Map.copyOf(badPieces), arrived.get(),
                            pieceBytes, pieceSha256);
                }
                if (plan.exhausted()) {
                    blameAContradictingPrimary();
                    throw new FetchException(commit, failures);
                }
                Event event = events.poll(100, TimeUnit.MILLISECONDS);
                if (event == null || !live.remove(event.job())) {
                    continue;  // a request cancelled because another holder delivered its piece first
                }
                event.job().download().close();
                if (event.failure() == null) {
                    delivered(event.job());
                } else {
                    failed(event.job(), event.failure() instanceof PeerFailure f ? f
                            : new PeerFailure(PeerFailure.Kind.CONNECTION_LOST, PeerMessages.describe(event.failure())));
                }
            }
        } finally {
            for (Job job : live) {
                job.download().close();
            }
            live.clear();
        }
    }

    private void start(PiecePlan.Assignment a) {
        RangeAsk ask = a.piece() == PiecePlan.PROBE ? RangeAsk.probe(kept) : RangeAsk.piece(a.piece(), pieceBytes, size, sha256);
        FetchSession session = ask.session(commit, config.maxBundleBytes(), holders.get(a.holder()).getNode());
        PieceBuffer buffer = new PieceBuffer((int) ask.length());
        BundleRequest.Builder request = BundleRequest.newBuilder().setCommit(commit).addAllHave(have).setOffset(ask.offset())
                .setLength(ask.length());
        if (ask.bundleSha256() != null) {
            request.setBundleSha256(ByteString.copyFrom(ask.bundleSha256()));
        }
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        long keptBytes = kept == null ? 0 : kept.length();
        long[] last = {ask.offset()};
        TransferProgress counting = (c, soFar, total) -> {
            long now = arrived.addAndGet(soFar - last[0]);
            last[0] = soFar;
            // Pieces fetched twice in the endgame count once towards the total, but every byte shows progress.
            progress.update(commit, Math.min(now + keptBytes, total), total);
        };
        BundleFetcher.Download download = starter.start(holders.get(a.holder()), commit, session, buffer,
                PeerMessage.newBuilder().setBundleRequest(request).build(), counting, outcome);
        Job job = new Job(a.holder(), a.piece(), ask.offset(), session, buffer, outcome, download);
        live.add(job);
        outcome.whenComplete((ok, failure) -> events.add(new Event(job, failure)));
    }

    private void delivered(Job job) throws IOException, FetchException {
        FetchSession session = job.session();
        if (job.piece() == PiecePlan.PROBE) {
            primary = job.holder();
            primaryNode = session.peerNode();
            size = session.size();
            sha256 = session.sha256();
            pieceBytes = session.pieceBytes();
            pieceSha256 = session.pieceSha256();
            plan.pieces(pieceSha256.size());
            plan.probeDone(job.holder());
            for (int piece = 0; kept != null && piece < kept.pieces(); piece++) {
                plan.pieceDone(-1, piece);  // its header named the kept pieces' digests (the session checked)
            }
        }
        int first = (int) (job.offset() / pieceBytes);
        for (int piece = first; piece < pieceSha256.size(); piece++) {
            long start = (long) piece * pieceBytes;
            long end = Math.min(size, start + pieceBytes);
            if (start < job.offset() || end > session.end()) {
                break;  // a range from a holder cutting other pieces: only whole pieces count
            }
            if (plan.isDone(piece)) {
                continue;
            }
            byte[] digest = job.buffer().sha256((int) (start - job.offset()), (int) (end - start));
            if (!MessageDigest.isEqual(digest, pieceSha256.get(piece).toByteArray())) {
                if (job.holder() == primary && job.piece() == PiecePlan.PROBE) {
                    // Its own bytes against its own header: no one else to blame, nothing else to trust.
                    PeerFailure lie = new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a first piece that does not match its own header");
                    verdicts.failed(holders.get(job.holder()), lie);
                    throw new FetchException(commit, List.of(label(job.holder()) + ": " + lie.getMessage()));
                }
                if (job.holder() != primary) {
                    disputes.add(piece, job.holder(), Arrays.copyOfRange(job.buffer().bytes(), (int) (start - job.offset()),
                            (int) (end - job.offset())));
                    disputesChanged = true;
                }
                badPieces.put(job.holder(), "sent piece " + piece + " of bundle " + CommitId.abbreviate(commit)
                        + " that does not match its digest");
                if (job.holder() == primary && primaryContradicted == null) {
                    primaryContradicted = new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent piece " + piece + " of bundle "
                            + CommitId.abbreviate(commit) + " that does not match its own header's digest");
                }
                failures.add(label(job.holder()) + ": bad piece " + piece);
                if (job.holder() == primary) {
                    plan.pieceFailed(job.holder(), piece);
                } else {
                    plan.pieceDisputed(job.holder(), piece);
                }
                return;
            }
            into.write(ByteBuffer.wrap(job.buffer().bytes(), (int) (start - job.offset()), (int) (end - start)), start);
            disputesChanged |= !disputes.isEmpty(); // one piece fewer the disputed copies must complete
            for (int other : plan.pieceDone(job.holder(), piece)) {
                cancelDuplicate(other, piece);
            }
        }
        if (job.piece() == PiecePlan.PROBE && kept == null) {
            checkObjectCount(job);
        }
        if (job.piece() != PiecePlan.PROBE && !plan.isDone(job.piece())) {
            plan.pieceFailed(job.holder(), job.piece());  // it ended without the piece it was asked for
        }
        plan.cancelled(job.holder());  // idle again, if it is not already
    }

    /**
     * Tries the disputed copies ({@link DisputedPieces}) for the pieces still missing, once each of
     * them has one: when the pieces done and the copies hash to the primary's own whole SHA-256, the
     * copies are the bundle's bytes and the primary's digests for them were false. The pieces are
     * then done (their digests as the bytes are), the holders that sent them cleared, and the
     * primary named, when the bundle imports, for digests its own header contradicts. Before round
     * 39 a rogue primary that named a false digest for a piece and never served that piece itself
     * (BUSY, or gone) was proven nothing: every honest holder's true piece failed its word, the
     * fetch ended a blameless loss, and the rogue could lead the next ask.
     */
    private boolean settleDisputes() throws IOException {
        disputesChanged = false;
        if (!plan.knowsPieces() || plan.complete()) {
            return false;
        }
        Set<Integer> missing = new TreeSet<>();
        for (int piece = 0; piece < plan.pieceCount(); piece++) {
            if (!plan.isDone(piece)) {
                missing.add(piece);
            }
        }
        for (Map<Integer, DisputedPieces.Copy> chosen : disputes.candidates(missing)) {
            for (var e : chosen.entrySet()) {
                into.write(ByteBuffer.wrap(e.getValue().bytes()), (long) e.getKey() * pieceBytes);
            }
            if (into.size() != size || !MessageDigest.isEqual(into.sha256(), sha256)) {
                continue;
            }
            List<ByteString> digests = new ArrayList<>(pieceSha256);
            for (var e : chosen.entrySet()) {
                int piece = e.getKey();
                digests.set(piece, ByteString.copyFrom(e.getValue().sha256()));
                e.getValue().holders().forEach(badPieces::remove);
                for (int other : plan.pieceDone(-1, piece)) {
                    cancelDuplicate(other, piece);
                }
            }
            pieceSha256 = List.copyOf(digests);
            String pieces = chosen.keySet().toString().replaceAll("[\\[\\]]", "");
            badPieces.put(primary, "named a false digest for piece " + pieces + " of bundle " + CommitId.abbreviate(commit)
                    + ": other holders' bytes for it complete the bundle of its own header's SHA-256");
            log.info("{} named false digests for piece {} of {}: other holders' bytes make the bundle of its own SHA-256",
                    label(primary), pieces, CommitId.abbreviate(commit));
            return true;
        }
        return false;
    }

    /**
     * Stops the fetch when the first piece (verified) shows a pack declaring more objects than the
     * import takes: the rest would be fetched only to be refused. Too large here, as the import
     * would say, told to the verdicts as the import's refusal is.
     */
    private void checkObjectCount(Job job) throws FetchException {
        try {
            new ObjectBound(maxObjects).update(ByteBuffer.wrap(job.buffer().bytes(), 0, job.buffer().length()));
        } catch (PeerFailure tooLarge) {
            overObjectBound = true;
            verdicts.failed(holders.get(job.holder()), tooLarge);
            throw new FetchException(commit, List.of(label(job.holder()) + ": " + tooLarge.getMessage()));
        }
    }

    private void cancelDuplicate(int holder, int piece) {
        for (Job job : List.copyOf(live)) {
            if (job.holder() == holder && job.piece() == piece) {
                live.remove(job);
                job.download().close();
                plan.cancelled(holder);
            }
        }
    }

    /**
     * The fetch ends without the bundle. A holder whose piece failed the primary's digests is never
     * blamed then: the digests are the primary's word alone, and a rogue primary naming a false digest
     * for one piece made every honest holder's true piece fail it. The primary is blamed only on its
     * own contradiction (its bytes against its own header); without it the fetch's loss costs no one,
     * as before. Without this a rogue primary naming one false digest ended every fetch it led as a
     * blameless loss, and was asked again.
     */
    private void blameAContradictingPrimary() {
        if (primaryContradicted != null) {
            verdicts.failed(holders.get(primary), primaryContradicted);
        }
    }

    private void failed(Job job, PeerFailure failure) {
        if (failure.kind() == PeerFailure.Kind.CANCELLED) {
            return;
        }
        if (failure.declined() == PeerFailure.Declined.OTHER_BUNDLE && job.piece() == PiecePlan.PROBE && kept != null) {
            keptRefused = true;
        }
        if (failure.declined() != null) {
            log.debug("{} declined a range of {}: {}", label(job.holder()), CommitId.abbreviate(commit), failure.getMessage());
        } else {
            log.info("{} failed to deliver a range of {}: {}", label(job.holder()), CommitId.abbreviate(commit),
                    failure.getMessage());
        }
        failures.add(label(job.holder()) + ": " + failure.getMessage());
        if (!failure.blameless()) {
            verdicts.failed(holders.get(job.holder()), failure);
        } else if (failure.declined() == PeerFailure.Declined.BUSY && failure.retryAfterMs() > 0) {
            verdicts.busy(holders.get(job.holder()), failure.retryAfterMs());  // its hint, for the caller's scheduler
        } else if (failure.declined() == PeerFailure.Declined.UNREACHABLE || failure.declined() == PeerFailure.Declined.UNPROVEN) {
            verdicts.unreachable(holders.get(job.holder()));
        }
        if (job.piece() == PiecePlan.PROBE) {
            plan.probeFailed(job.holder());
        } else {
            plan.pieceFailed(job.holder(), job.piece());
        }
        if (failure.declined() == PeerFailure.Declined.UNREACHABLE) {
            dropAlongside(job.holder());
        }
    }

    /**
     * Nothing answered at {@code failed}'s address: the other holders named at that very address
     * (a rogue's keys naming one silent address) are not dialled there for this fetch either. Each
     * was asked in its turn after the first's dial ended (the dials in flight gate only dials at
     * once). Another key answering there (UNPROVEN) drops nobody: an honest node may live there.
     */
    private void dropAlongside(int failed) {
        PeerEndpoint dead = holders.get(failed);
        for (int h = 0; h < holders.size(); h++) {
            PeerEndpoint other = holders.get(h);
            if (h != failed && other.getPort() == dead.getPort() && other.getHost().equals(dead.getHost())) {
                plan.drop(h);
            }
        }
    }

    /**
     * Whether the fetch, ended early, found no holder agreeing with the kept prefix and at least one
     * with another bundle of the commit: the prefix is then no use here, and the caller starts afresh.
     */
    boolean keptRefused() {
        return keptRefused && !plan.knowsPieces();
    }

    /** Bundle bytes received from holders so far (pieces fetched twice count twice). */
    long bytesReceived() {
        return arrived.get();
    }

    /**
     * What is worth keeping of this fetch, ended early: the leading pieces done (verified against
     * the primary's digests, or kept before and agreed to by its header), short of the whole
     * bundle; the prefix it started from when no holder's header came; null when none is.
     */
    KeptPrefix keep() {
        if (overObjectBound) {
            return null;
        }
        if (!plan.knowsPieces()) {
            return kept;
        }
        if (pieceBytes != BundleFile.PIECE_BYTES) {
            return null;  // the whole transfer that would resume it digests pieces of the cache's size
        }
        int leading = 0;
        while (leading < plan.pieceCount() && plan.isDone(leading)) {
            leading++;
        }
        return leading == 0 || leading == plan.pieceCount() ? null
                : new KeptPrefix(size, sha256, pieceBytes, pieceSha256, leading, have);
    }

    private String label(int holder) {
        return BundleFetcher.label(holders.get(holder));
    }
}
