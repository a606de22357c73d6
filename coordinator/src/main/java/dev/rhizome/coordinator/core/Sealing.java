package dev.rhizome.coordinator.core;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SealedEnvelope;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.protocol.envelope.Envelopes;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a result may be shown yet (docs/architecture.md, Trust, "Sealed results"): a result is
 * SEALED while any replica of its trial (its commit at its random seed) is queued or leased, and
 * revealed once none is; a result that carries no metric (CRASH, TIMEOUT, REFUSED, UNFETCHABLE) is never sealed. A runner holding a replica could otherwise read another's metric for the
 * same trial and report it without running, earning credit and standing it never worked for. The
 * trial is named by commit and seed alone, every hardware class together: a replica out in one
 * class seals the others' results too, since a copier may claim in whichever class it says it has.
 *
 * <p>Every read route asks this one class, from the seeds with a unit out (the store's
 * {@code pendingTrialSeeds}, read in the same snapshot as what it decides about). Signed envelopes
 * cannot lose a field their signature covers, so a sealed one is withheld whole and its place named
 * by a {@link SealedEnvelope} (its id and audit key): positions and receipts hold, and the envelope
 * served at the same place once revealed hashes to the id shown while it was sealed.
 */
public final class Sealing {
    public static final String RESULT_TYPE = "rhizome.v1.Result";

    /** Nothing out: everything revealed. */
    public static final Sealing NONE = new Sealing(Map.of());

    /** Seeds with an evaluation unit queued or leased, by commit. */
    private final Map<String, Set<Long>> pending;

    private Sealing(Map<String, Set<Long>> pending) {
        this.pending = pending;
    }

    /** @param pendingSeeds the seeds at which each commit has an evaluation unit queued or leased */
    public static Sealing of(Map<String, Set<Long>> pendingSeeds) {
        return new Sealing(Map.copyOf(pendingSeeds));
    }

    public boolean sealed(String commit, long randomSeed) {
        return pending.getOrDefault(commit, Set.of()).contains(randomSeed);
    }

    /**
     * Only a result that carries a metric is sealed: CRASH, TIMEOUT, REFUSED and UNFETCHABLE are
     * never compared and earn no credit, so a copy of one gains nothing, and agents see at once that
     * a commit failed or could not be fetched (what others tried).
     */
    public boolean sealed(Result r) {
        return !carriesNoMetric(r.getStatus()) && sealed(r.getCommit(), r.getRandomSeed());
    }

    private static boolean carriesNoMetric(Result.Status status) {
        return switch (status) {
            case CRASH, TIMEOUT, REFUSED, UNFETCHABLE -> true;
            default -> false;
        };
    }

    /** Whether any trial of {@code commit} is sealed: its mean would show one replica's value. */
    public boolean anySealed(String commit) {
        return !pending.getOrDefault(commit, Set.of()).isEmpty();
    }

    /** Sealed when it is a result whose trial is. */
    public boolean sealed(SignedEnvelope e) {
        return result(e).map(this::sealed).orElse(false);
    }

    /** The commits of the results among {@code envelopes}: whose pending seeds decide them. */
    public static Set<String> resultCommits(Collection<SignedEnvelope> envelopes) {
        Set<String> commits = new LinkedHashSet<>();
        envelopes.forEach(e -> result(e).ifPresent(r -> commits.add(r.getCommit())));
        return commits;
    }

    /** The result an envelope carries, if it is one; the store verified it before storing it, so this only parses. */
    public static Optional<Result> result(SignedEnvelope e) {
        if (!RESULT_TYPE.equals(e.getType())) {
            return Optional.empty();
        }
        try {
            return Optional.of(Result.parseFrom(e.getPayload()));
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException("stored result is corrupt: " + ex.getMessage(), ex);
        }
    }

    /**
     * A page of envelopes in their order, each with its key in the audit trail ({@code seqs}, the
     * store's sequence numbers from 1): the revealed ones as they are, each sealed one as its place.
     */
    public EnvelopeList.Builder page(List<SignedEnvelope> envelopes, List<Long> seqs) {
        EnvelopeList.Builder list = EnvelopeList.newBuilder();
        for (int i = 0; i < envelopes.size(); i++) {
            SignedEnvelope e = envelopes.get(i);
            if (sealed(e)) {
                list.addSealed(sealedEntry(e, seqs.get(i) - 1, i));
            } else {
                list.addEnvelopes(e);
            }
        }
        return list;
    }

    public static SealedEnvelope sealedEntry(SignedEnvelope e, long auditIndex, int position) {
        return SealedEnvelope.newBuilder().setId(Envelopes.id(e)).setAuditIndex(auditIndex).setType(e.getType())
                .setPosition(position).build();
    }

    /** A trial as shown: while sealed, present with its replicas but without any metric. */
    public Trial trial(Trial t) {
        if (!sealed(t.getCommit(), t.getRandomSeed())) {
            return t;
        }
        Trial.Builder b = t.toBuilder().clearMetric().setSealed(true).clearResults();
        for (ResultVerdict v : t.getResultsList()) {
            b.addResults(carriesNoMetric(v.getStatus()) ? v.toBuilder() : v.toBuilder().clearMetric().setSealed(true));
        }
        return b.build();
    }
}
