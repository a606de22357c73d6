package dev.rhizome.ops.audit;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.core.Significance;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AuditHeader;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.OperatorHistory;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.ManifestException;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.seed.MetricRange;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks an audit export offline, trusting nothing the coordinator says: every envelope's id and
 * signature (by the key its record names as author); every record against what it refers to (a
 * result against its seed's manifest, its direction and the experiment it ran, in the order
 * accepted); and every adoption re-derived with the coordinator's own pure rules ({@link Trials}
 * then {@link Significance}, confirmed by {@link ConfirmationRule} at the seeds derived for it,
 * re-derived here) from the results accepted before it, in a chain from the
 * direction's base to its final frontier. Trials the coordinator accepted on one trusted runner's
 * word (adaptive replication) are taken from its claims and counted, since the reputation that
 * allowed them is the coordinator's judgement.
 */
public final class AuditVerifier {
    /** A record that fails: its kind, its position, its id, and why. */
    public record Problem(String type, long index, String id, String why) {
        @Override
        public String toString() {
            return type + " #" + index + (id.isEmpty() ? "" : " " + id) + ": " + why;
        }
    }

    /**
     * {@code network}: the network the export's records were checked against, the header's (or, in
     * an export made before the header named it, the first version-2 record's); null when neither
     * names one.
     */
    public record Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
            String network, boolean confirmationsUnavailable, int confirmationsDrawn, List<Problem> papersOffDirection,
            int confirmationsUnrevealed, int confirmationsUnattested, List<Order> orders, int sealed) {
        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable, int confirmationsDrawn,
                List<Problem> papersOffDirection, int confirmationsUnrevealed, int confirmationsUnattested,
                List<Order> orders) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable,
                    confirmationsDrawn, papersOffDirection, confirmationsUnrevealed, confirmationsUnattested, orders, 0);
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable, int confirmationsDrawn,
                List<Problem> papersOffDirection, int confirmationsUnrevealed, int confirmationsUnattested) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable,
                    confirmationsDrawn, papersOffDirection, confirmationsUnrevealed, confirmationsUnattested, List.of());
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable, int confirmationsDrawn,
                List<Problem> papersOffDirection, int confirmationsUnrevealed) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable,
                    confirmationsDrawn, papersOffDirection, confirmationsUnrevealed, 0);
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable, int confirmationsDrawn,
                List<Problem> papersOffDirection) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable,
                    confirmationsDrawn, papersOffDirection, 0);
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable, int confirmationsDrawn) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable,
                    confirmationsDrawn, List.of());
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, false, 0);
        }

        public Report(int envelopes, int results, int adoptions, int trialsOnReputation, List<Problem> problems,
                String network, boolean confirmationsUnavailable) {
            this(envelopes, results, adoptions, trialsOnReputation, problems, network, confirmationsUnavailable, 0);
        }

        /**
         * {@code confirmationsUnavailable}: the export's header says its coordinator served no
         * confirmations (one older than the confirmation stage), so adoptions were re-derived at
         * their trial seeds only. {@code confirmationsDrawn}: confirmations whose seeds the
         * coordinator drew (before round 23), whose choice is its word alone; every other
         * confirmation's seeds were re-derived from its results. {@code papersOffDirection}: papers
         * citing a commit that is no experiment of their direction, each named with why; counted,
         * not failed (see {@link AuditVerifier#paper}). {@code confirmationsUnrevealed}: DERIVED
         * confirmations of candidates registered before the coordinator committed to seed secrets
         * (before round 26), re-derived from their results but with no secret: counted, not failed.
         * {@code confirmationsUnattested}: COMMITTED confirmations with a deciding result from a node
         * older than round 27, which signs no seed commitment: counted, not failed. {@code sealed}:
         * results sealed when exported (their trials had a replica out, round 39): their places and
         * ids are checked, their contents are in a later export ({@link #revealed}).
         */
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /**
     * An operator's signed order in the trail, checked: its kind (DirectionClosure, KeyBan,
     * TrialRequeueOrder), position and id, who signed it (hex), when they say they did, and what it
     * ordered, in words.
     */
    public record Order(String type, long index, String id, String by, long atMs, String what) {
        @Override
        public String toString() {
            return type + " #" + index + " by " + by + " at " + java.time.Instant.ofEpochMilli(atMs) + ": " + what;
        }
    }

    private final List<Problem> problems = new ArrayList<>();
    /** Results sealed when exported, by id, with their places ({@code SEALED_ENVELOPE} lines). */
    private final Map<String, Long> sealedIds = new HashMap<>();
    private int sealedCount;
    /** The operators' orders, in the order accepted ({@link #order}). */
    private final List<Order> orders = new ArrayList<>();
    /** The export header's operators; empty: an open coordinator's export, or one before round 37. */
    private final Set<ByteString> operators = new HashSet<>();
    /**
     * The store's operator terms from the header's signed history (round 38): where present, an
     * order is held to its author's term at the order's time instead of {@link #operators}; null
     * where the export carries none, or one no receipt key of the export signed (a problem then).
     */
    private List<OperatorTerm> terms;
    /** Each direction's first closure order's position in the trail. */
    private final Map<String, Long> closures = new HashMap<>();
    private final Map<String, Seed> seeds = new HashMap<>();
    private final Map<String, Direction> directions = new HashMap<>();
    private final Map<String, Experiment> experiments = new HashMap<>();
    /** Results in the order accepted, with their envelope ids and positions. */
    private final List<Trials.Entry> results = new ArrayList<>();
    private final List<Long> resultIndexes = new ArrayList<>();
    /**
     * Results the coordinator's trials list as TOO_LATE: never replicas. Those that came after
     * their trial was decided change nothing by being left out; those that came after their unit
     * was re-leased to another key are late by the coordinator's lease records, which the export
     * does not hold, so the coordinator's word is taken for them, as for trials on reputation.
     */
    private final Set<String> tooLate = new HashSet<>();
    /**
     * The confirmation seeds the coordinator drew, by candidate commit (the export's claims, read
     * before the envelopes: a result at such a seed is a trial only if drawn before it arrived).
     */
    private final Map<String, Confirmation> confirmations = new LinkedHashMap<>();
    /** The coordinator's seed commitments, by candidate commit (read before the envelopes, as confirmations). */
    private final Map<String, SeedCommitment> commitments = new HashMap<>();
    /** Each experiment's position in the audit trail, by commit. */
    private final Map<String, Long> experimentIndexes = new HashMap<>();

    /**
     * The export's network: its header's (exports since the header names it), else the one its
     * first version-2 record was signed for; null until known.
     */
    private String network;
    /** What named {@link #network}: "the export's header" or "record #N". */
    private String networkNamedBy;

    /** Papers citing commits that are no experiments of their direction ({@link #paper}). */
    private final List<Problem> papersOffDirection = new ArrayList<>();

    /** The header says the coordinator served no confirmations: adoptions are checked at their trial seeds only. */
    private boolean confirmationsUnavailable;

    private AuditVerifier() {
    }

    public static Report verify(List<AuditLine> lines) {
        return new AuditVerifier().run(lines);
    }

    /**
     * The same, and each of a node's {@code receipts} checked against the export
     * ({@link ReceiptCheck}): a receipt whose result is not in it at its index is a problem of type
     * {@code Receipt}, as is a receipt no key of the export's signed or made for another network.
     */
    public static Report verify(List<AuditLine> lines, List<KeptReceipt> receipts) {
        Report r = verify(lines);
        if (receipts.isEmpty()) {
            return r;
        }
        List<Problem> all = new ArrayList<>(r.problems());
        all.addAll(ReceiptCheck.check(lines, receipts));
        return new Report(r.envelopes(), r.results(), r.adoptions(), r.trialsOnReputation(), List.copyOf(all),
                r.network(), r.confirmationsUnavailable(), r.confirmationsDrawn(), r.papersOffDirection(),
                r.confirmationsUnrevealed(), r.confirmationsUnattested(), r.orders(), r.sealed());
    }

    /**
     * The same, and the export checked against an {@code earlier} one of the same coordinator: the
     * trail only grows, so every place the earlier export holds must hold the same record in this
     * one, and a result sealed there must be revealed here (or still sealed) with the id shown
     * then. A place served with another record is a problem of type {@code Reveal}: the coordinator
     * swapped a result after naming it.
     */
    public static Report verify(List<AuditLine> lines, List<KeptReceipt> receipts, List<AuditLine> earlier) {
        Report r = verify(lines, receipts);
        List<Problem> reveal = revealed(earlier, lines);
        if (reveal.isEmpty()) {
            return r;
        }
        List<Problem> all = new ArrayList<>(r.problems());
        all.addAll(reveal);
        return new Report(r.envelopes(), r.results(), r.adoptions(), r.trialsOnReputation(), List.copyOf(all),
                r.network(), r.confirmationsUnavailable(), r.confirmationsDrawn(), r.papersOffDirection(),
                r.confirmationsUnrevealed(), r.confirmationsUnattested(), r.orders(), r.sealed());
    }

    /** Each place of {@code earlier}'s trail that {@code later} holds with another id, or not at all. */
    static List<Problem> revealed(List<AuditLine> earlier, List<AuditLine> later) {
        Map<Long, String> now = new HashMap<>();
        for (AuditLine line : later) {
            if (line.hasEnvelope()) {
                now.put(line.getIndex(), Envelopes.id(line.getEnvelope()));
            } else if (line.hasSealedEnvelope()) {
                now.put(line.getIndex(), line.getId());
            }
        }
        List<Problem> problems = new ArrayList<>();
        for (AuditLine line : earlier) {
            if (!line.hasEnvelope() && !line.hasSealedEnvelope()) {
                continue;
            }
            String then = line.hasEnvelope() ? Envelopes.id(line.getEnvelope()) : line.getId();
            String kind = line.hasEnvelope() ? "the record" : "the sealed result";
            String at = now.get(line.getIndex());
            if (at == null) {
                problems.add(new Problem("Reveal", line.getIndex(), then, kind + " the earlier export holds here is "
                        + "missing from this one: the trail lost a record it had served"));
            } else if (!at.equals(then)) {
                problems.add(new Problem("Reveal", line.getIndex(), then, kind + " the earlier export named here is "
                        + at + " in this one (SHA-256 of the envelope served now): a record changed after it was "
                        + (line.hasEnvelope() ? "served" : "sealed")));
            }
        }
        return problems;
    }

    private Report run(List<AuditLine> lines) {
        if (lines.isEmpty() || !lines.get(0).hasHeader()
                || !AuditExport.FORMAT.equals(lines.get(0).getHeader().getFormat())) {
            problems.add(new Problem("header", 0, "", "not a " + AuditExport.FORMAT + " export"));
        } else if (!lines.get(0).getHeader().getNetwork().isEmpty()) {
            // the coordinator's own word: a store whose records are mostly of another network then
            // names those as the mixed ones, where the first record's network named the honest ones
            network = lines.get(0).getHeader().getNetwork();
            networkNamedBy = "the export's header";
        }
        if (!lines.isEmpty() && lines.get(0).hasHeader()) {
            operators.addAll(lines.get(0).getHeader().getOperatorsList());
            if (lines.get(0).getHeader().hasOperatorHistory()) {
                terms = operatorTerms(lines.get(0).getHeader());
            }
        }
        confirmationsUnavailable = !lines.isEmpty() && lines.get(0).hasHeader()
                && lines.get(0).getHeader().getConfirmationsUnavailable();
        lines.stream().filter(AuditLine::hasConfirmation).map(AuditLine::getConfirmation)
                .forEach(c -> confirmations.putIfAbsent(c.getCommit(), c));
        lines.stream().filter(AuditLine::hasSeedCommitment).map(AuditLine::getSeedCommitment).forEach(c -> {
            SeedCommitment kept = commitments.putIfAbsent(c.getCommit(), c);
            if (kept != null && !kept.equals(c)) {
                problems.add(new Problem("Confirmation", 0, c.getDirection() + "@" + c.getCommit(), "two different "
                        + "seed commitments for one candidate: the secret was fixed twice"));
            }
        });
        long expected = 0;
        int envelopes = 0;
        Map<String, Map<Long, Set<String>>> onReputation = new HashMap<>();
        List<Adoption> adoptions = new ArrayList<>();
        List<DirectionStatus> statuses = new ArrayList<>();
        for (AuditLine line : lines) {
            switch (line.getRecordCase()) {
                case ENVELOPE -> {
                    if (line.getIndex() != expected) {
                        problems.add(new Problem("envelope", line.getIndex(), line.getId(),
                                "out of order: expected position " + expected));
                    }
                    expected = line.getIndex() + 1;
                    envelopes++;
                    envelope(line);
                }
                case SEALED_ENVELOPE -> {
                    // a result whose trial had a replica out when exported: its place and id, checked
                    // here for order; its contents (and that they hash to this id) in a later export
                    if (line.getIndex() != expected) {
                        problems.add(new Problem("sealed", line.getIndex(), line.getId(),
                                "out of order: expected position " + expected));
                    }
                    expected = line.getIndex() + 1;
                    sealedCount++;
                    if (!line.getSealedEnvelope().getType().equals("rhizome.v1.Result")) {
                        problems.add(new Problem("sealed", line.getIndex(), line.getId(), "a sealed "
                                + line.getSealedEnvelope().getType() + ": only a result is ever sealed"));
                    }
                    sealedIds.put(line.getId(), line.getIndex());
                }
                case TRIAL -> {
                    Trial t = line.getTrial();
                    t.getResultsList().stream().filter(v -> v.getState() == ResultVerdict.State.TOO_LATE)
                            .forEach(v -> tooLate.add(v.getEnvelopeId()));
                    if (t.getAcceptedOnReputation()) {
                        onReputation.computeIfAbsent(t.getCommit(), c -> new HashMap<>())
                                .computeIfAbsent(t.getRandomSeed(), s -> new HashSet<>()).add(t.getHardwareClass());
                    }
                }
                case ADOPTION -> adoptions.add(line.getAdoption());
                case DIRECTION -> statuses.add(line.getDirection());
                default -> {
                }
            }
        }
        int reputationTrials = onReputation.values().stream().mapToInt(m -> m.values().stream().mapToInt(Set::size).sum())
                .sum();
        int[] older = checkDerivations(onReputation);
        checkAdoptions(adoptions, statuses, onReputation);
        return new Report(envelopes, results.size(), adoptions.size(), reputationTrials, List.copyOf(problems), network,
                confirmationsUnavailable, older[0], List.copyOf(papersOffDirection), older[1], older[2],
                List.copyOf(orders), sealedCount);
    }

    // --- envelopes ---------------------------------------------------------------------------

    private void envelope(AuditLine line) {
        SignedEnvelope e = line.getEnvelope();
        long index = line.getIndex();
        String actual = Envelopes.id(e);
        String id = line.getId().isEmpty() ? actual : line.getId();  // named as the export names it
        String type = e.getType().replaceFirst("^rhizome\\.v1\\.", "");
        if (!actual.equals(id)) {
            problems.add(new Problem(type, index, id, "id does not match the envelope (its SHA-256 is " + actual
                    + "): the bytes were changed"));
        }
        mixedNetwork(e, type, index, id);
        try {
            switch (e.getType()) {
                case "rhizome.v1.Seed" -> seed(open(e, Seed.getDefaultInstance(), Seed::getPublisher), index, id);
                case "rhizome.v1.Direction" ->
                        direction(open(e, Direction.getDefaultInstance(), Direction::getOpenedBy), index, id);
                case "rhizome.v1.Experiment" ->
                        experiment(open(e, Experiment.getDefaultInstance(), Experiment::getProposer), index, id);
                case "rhizome.v1.Result" -> result(open(e, Result.getDefaultInstance(), Result::getRunner), index, id);
                case "rhizome.v1.Paper" -> paper(open(e, Paper.getDefaultInstance(), Paper::getAuthor), index, id);
                case "rhizome.v1.DirectionClosure" -> {
                    DirectionClosure c = open(e, DirectionClosure.getDefaultInstance(), DirectionClosure::getClosedBy);
                    order("DirectionClosure", index, id, c.getClosedBy(), c.getClosedMs(), "closed direction "
                            + c.getName() + reason(c.getReason()), closed(c, index));
                }
                case "rhizome.v1.KeyBan" -> {
                    KeyBan b = open(e, KeyBan.getDefaultInstance(), KeyBan::getBannedBy);
                    order("KeyBan", index, id, b.getBannedBy(), b.getBannedMs(), "banned key "
                            + PublicId.hex(b.getKey()) + reason(b.getReason()), banned(b));
                }
                case "rhizome.v1.TrialRequeueOrder" -> {
                    TrialRequeueOrder q = open(e, TrialRequeueOrder.getDefaultInstance(),
                            TrialRequeueOrder::getRequeuedBy);
                    order("TrialRequeueOrder", index, id, q.getRequeuedBy(), q.getRequeuedMs(), "queued again the "
                            + "trials of " + (q.getCommit().isEmpty() ? "the frontier" : q.getCommit())
                            + " in direction " + q.getName() + reason(q.getReason()), requeued(q));
                }
                default -> problems.add(new Problem(type, index, id, "unknown record type " + e.getType()));
            }
        } catch (SignatureException ex) {
            problems.add(new Problem(type, index, id, "bad signature: " + ex.getMessage()));
        }
    }

    /**
     * One coordinator's export holds one network's records: the header names the export's (the
     * network the coordinator served when exported; an export made before the header named it takes
     * the first record signed for a network, envelope version 2), and a record signed for another is named, since a
     * coordinator refuses those (a store mixed by hand, or records copied in from another network).
     * Version-1 records name no network (signed before networks were named) and pass.
     */
    private void mixedNetwork(SignedEnvelope e, String type, long index, String id) {
        if (e.getVersion() != Envelopes.VERSION) {
            return;
        }
        if (network == null) {
            network = e.getNetwork();
            networkNamedBy = "record #" + index;
        } else if (!network.equals(e.getNetwork())) {
            problems.add(new Problem(type, index, id, "signed for network " + e.getNetwork() + ", not this export's"
                    + " network " + network + " (named by " + networkNamedBy + "): records of mixed networks"));
        }
    }

    private static <T extends Message> T open(SignedEnvelope e, T prototype, Function<T, ByteString> author)
            throws SignatureException {
        return Envelopes.openSignedBy(e, prototype, author).record();
    }

    private void seed(Seed s, long index, String id) {
        try {
            Manifests.validate(s.getManifest());
        } catch (ManifestException ex) {
            problems.add(new Problem("Seed", index, id, ex.getMessage()));
        }
        if (seeds.putIfAbsent(s.getName(), s) != null) {
            problems.add(new Problem("Seed", index, id, "seed " + s.getName() + " published twice"));
        }
    }

    private void direction(Direction d, long index, String id) {
        Seed seed = seeds.get(d.getSeed());
        if (seed == null) {
            problems.add(new Problem("Direction", index, id, "unknown seed " + d.getSeed()));
        } else if (!d.getBaseCommit().equals(seed.getCommit()) && !isExperimentOf(d.getBaseCommit(), seed)) {
            problems.add(new Problem("Direction", index, id, "base " + d.getBaseCommit()
                    + " is neither the seed's commit nor an experiment of it"));
        }
        directions.putIfAbsent(d.getName(), d);
    }

    private void experiment(Experiment x, long index, String id) {
        Seed seed = seeds.get(x.getSeed());
        Direction d = directions.get(x.getDirection());
        if (seed == null || d == null || !d.getSeed().equals(x.getSeed())) {
            problems.add(new Problem("Experiment", index, id, "seed " + x.getSeed() + " or direction "
                    + x.getDirection() + " unknown, or not of each other"));
            return;
        }
        if (!Manifests.trusts(seed.getManifest(), x.getProposer())) {
            problems.add(new Problem("Experiment", index, id, "proposer is not trusted by the seed"));
        }
        if (!x.getParent().equals(seed.getCommit()) && !isExperimentOf(x.getParent(), seed)) {
            problems.add(new Problem("Experiment", index, id, "parent " + x.getParent() + " is unknown"));
        }
        experimentIndexes.putIfAbsent(x.getCommit(), index);
        if (experiments.putIfAbsent(x.getCommit(), x) != null) {
            problems.add(new Problem("Experiment", index, id, "commit " + x.getCommit() + " registered twice"));
        }
    }

    // --- operators' orders ----------------------------------------------------------------

    /**
     * An operator's order, signed by the key it names as its author (checked by {@link #open}):
     * listed in the report, and a problem where the export names operators and the signer is none
     * of them (a coordinator refuses such an order, so one in the trail was put there by hand),
     * or where it orders something about what is not in the trail before it.
     */
    private void order(String type, long index, String id, ByteString by, long atMs, String what,
            Optional<String> wrong) {
        orders.add(new Order(type, index, id, PublicId.hex(by), atMs, what));
        List<String> why = new ArrayList<>();
        if (terms != null && !operators.isEmpty()) {
            if (terms.stream().noneMatch(t -> t.getOperator().equals(by) && t.getFromMs() <= atMs
                    && (t.getUntilMs() == 0 || atMs < t.getUntilMs()))) {
                why.add("signed by " + PublicId.hex(by) + ", not an operator of the export's coordinator at "
                        + java.time.Instant.ofEpochMilli(atMs) + " (by its signed operator terms, " + terms.size()
                        + "): only an operator may " + ACTIONS.get(type));
            }
        } else if (!operators.isEmpty() && !operators.contains(by)) {
            why.add("signed by " + PublicId.hex(by) + ", not an operator of the export's coordinator (its header "
                    + "names " + operators.size() + "): only an operator may " + ACTIONS.get(type));
        }
        wrong.ifPresent(why::add);
        if (!why.isEmpty()) {
            problems.add(new Problem(type, index, id, String.join("; ", why)));
        }
    }

    /**
     * The header's operator terms, where a receipt key the header names signed them for the
     * export's network: anyone can write a header, only the coordinator holds those keys, so a
     * key added to the terms by hand fails here rather than passing its orders.
     */
    private List<OperatorTerm> operatorTerms(AuditHeader header) {
        try {
            Verified<OperatorHistory> history = Envelopes.open(header.getOperatorHistory(),
                    OperatorHistory.getDefaultInstance());
            if (!header.getReceiptKeysList().contains(history.signer().toByteString())) {
                problems.add(new Problem("header", 0, "", "operator_history is signed by " + history.signer()
                        + ", none of the header's receipt keys: its terms are not the coordinator's"));
                return null;
            }
            if (!header.getNetwork().isEmpty() && !history.record().getNetwork().equals(header.getNetwork())) {
                problems.add(new Problem("header", 0, "", "operator_history is for network "
                        + history.record().getNetwork() + ", not this export's network " + header.getNetwork()
                        + " (named by the export's header)"));
                return null;
            }
            return history.record().getTermsList();
        } catch (SignatureException e) {
            problems.add(new Problem("header", 0, "", "operator_history refused: " + e.getMessage()));
            return null;
        }
    }

    /** What each kind of order does, in the coordinator's refusal's words. */
    private static final Map<String, String> ACTIONS = Map.of("DirectionClosure", "close directions", "KeyBan",
            "ban keys", "TrialRequeueOrder", "queue trials again");

    private static String reason(String reason) {
        return reason.isBlank() ? "" : " (" + reason.strip() + ")";
    }

    private Optional<String> closed(DirectionClosure c, long index) {
        Optional<String> unknown = knownDirection(c.getName());
        if (unknown.isEmpty()) {
            closures.putIfAbsent(c.getName(), index);
        }
        return unknown;
    }

    private Optional<String> knownDirection(String name) {
        return directions.containsKey(name) ? Optional.empty()
                : Optional.of("direction " + name + " is not opened before it in the trail");
    }

    private static Optional<String> banned(KeyBan b) {
        if (b.getKey().size() != 32) {
            return Optional.of("the banned key is " + b.getKey().size() + " bytes, not a 32-byte Ed25519 key");
        }
        return b.getKey().equals(b.getBannedBy()) ? Optional.of("an operator banning their own key, which a "
                + "coordinator refuses") : Optional.empty();
    }

    private Optional<String> requeued(TrialRequeueOrder q) {
        Optional<String> unknown = knownDirection(q.getName());
        if (unknown.isPresent() || q.getCommit().isEmpty()) {
            return unknown;
        }
        Direction d = directions.get(q.getName());
        Experiment x = experiments.get(q.getCommit());
        boolean ofDirection = q.getCommit().equals(d.getBaseCommit())
                || (x != null && x.getDirection().equals(q.getName()));
        return ofDirection ? Optional.empty() : Optional.of("commit " + q.getCommit() + " is neither the base nor an "
                + "experiment of direction " + q.getName() + " before it in the trail");
    }

    /**
     * A paper is about experiments of its direction. A coordinator has always refused one naming
     * an unknown direction (failed here), and since round 24 one citing a commit that is not an
     * experiment of its direction registered before it (`PaperRegistry`); before, only `rhizome
     * publish` checked, so a paper another client sent may cite any commit, and the coordinator
     * serves it as stored. An export does not say which coordinator stored a paper, so those are
     * named and counted, not failed, as older DRAWN confirmations are.
     */
    private void paper(Paper p, long index, String id) {
        if (!directions.containsKey(p.getDirection())) {
            problems.add(new Problem("Paper", index, id, "unknown direction " + p.getDirection()));
            return;
        }
        List<String> why = new ArrayList<>();
        for (String commit : new LinkedHashSet<>(p.getCommitsList())) {
            Experiment x = experiments.get(commit);
            if (x == null) {
                why.add("commit " + commit + " is not a registered experiment of direction " + p.getDirection());
            } else if (!x.getDirection().equals(p.getDirection())) {
                why.add("commit " + commit + " is an experiment of direction " + x.getDirection() + ", not of "
                        + p.getDirection());
            }
        }
        if (!why.isEmpty()) {
            papersOffDirection.add(new Problem("Paper", index, id, String.join("; ", why)));
        }
    }

    private boolean isExperimentOf(String commit, Seed seed) {
        Experiment e = experiments.get(commit);
        return e != null && e.getSeed().equals(seed.getName());
    }

    /** A result must answer something that existed when it arrived, under its seed's rules. */
    private void result(Result r, long index, String id) {
        List<String> why = new ArrayList<>();
        Seed seed = seeds.get(r.getSeed());
        Direction d = directions.get(r.getDirection());
        if (seed == null || d == null || !d.getSeed().equals(r.getSeed())) {
            why.add("seed " + r.getSeed() + " or direction " + r.getDirection() + " unknown, or not of each other");
        } else {
            Manifest m = seed.getManifest();
            Experiment x = experiments.get(r.getCommit());
            boolean isBase = directions.values().stream().anyMatch(dir -> dir.getSeed().equals(seed.getName())
                    && dir.getBaseCommit().equals(r.getCommit()));
            if (x == null && !isBase && !r.getCommit().equals(seed.getCommit())) {
                why.add("commit " + r.getCommit() + " is no registered experiment or base");
            }
            if (x != null && !x.getProposer().equals(r.getProposer())) {
                why.add("proposer differs from the experiment's");
            }
            // the coordinator's intake rule: REFUSED and UNFETCHABLE are outcomes too (a commit that
            // breaks the seed's policy, a commit no peer served), never a measurement
            if (r.getStatus() == Result.Status.STATUS_UNSPECIFIED || r.getStatus() == Result.Status.UNRECOGNIZED) {
                why.add("status " + r.getStatus() + " is no outcome (OK, CRASH, TIMEOUT, REFUSED or UNFETCHABLE)");
            }
            if (r.getStatus() == Result.Status.OK) {
                if (!r.getMetricName().equals(m.getMetric().getName())) {
                    why.add("metric " + r.getMetricName() + " is not the seed's " + m.getMetric().getName());
                }
                // the coordinator's intake rule: a value no trial can have (not finite, or outside metric.min/max)
                MetricRange.violation(m.getMetric(), r.getMetric()).ifPresent(why::add);
            }
            if (r.hasBudget() && !r.getBudget().equals(m.getBudget())) {
                why.add("budget " + Manifests.describe(r.getBudget()) + " is not the seed's");
            }
            if (!Manifests.trialSeeds(m).contains(r.getRandomSeed()) && !drawnBefore(r, index)) {
                why.add("random seed " + Long.toUnsignedString(r.getRandomSeed()) + " is not one of the seed's trials "
                        + Manifests.trialSeeds(m) + " nor a confirmation seed of direction " + r.getDirection()
                        + " drawn before it");
            }
        }
        if (!why.isEmpty()) {
            problems.add(new Problem("Result", index, id, String.join("; ", why)));
        }
        results.add(new Trials.Entry(id, r));
        resultIndexes.add(index);
    }

    /** Whether the result's seed is a confirmation seed of its direction drawn before the result was accepted. */
    private boolean drawnBefore(Result r, long index) {
        return confirmations.values().stream().anyMatch(c -> c.getDirection().equals(r.getDirection())
                && c.getAuditCount() <= index && c.getRandomSeedsList().contains(r.getRandomSeed()));
    }

    // --- adoptions ---------------------------------------------------------------------------

    private void checkAdoptions(List<Adoption> adoptions, List<DirectionStatus> statuses,
            Map<String, Map<Long, Set<String>>> onReputation) {
        Map<String, String> frontier = new LinkedHashMap<>();
        directions.forEach((name, d) -> frontier.put(name, d.getBaseCommit()));
        for (int i = 0; i < adoptions.size(); i++) {
            Adoption a = adoptions.get(i);
            String id = a.getDirection() + "@" + a.getCommit();
            Direction d = directions.get(a.getDirection());
            if (d == null) {
                problems.add(new Problem("Adoption", i, id, "unknown direction " + a.getDirection()));
                continue;
            }
            if (!a.getPrevious().equals(frontier.get(d.getName()))) {
                problems.add(new Problem("Adoption", i, id, "replaces " + a.getPrevious() + " but the frontier was "
                        + frontier.get(d.getName())));
            }
            Experiment x = experiments.get(a.getCommit());
            if (x == null || !x.getDirection().equals(d.getName())) {
                problems.add(new Problem("Adoption", i, id, "commit is no experiment of the direction"));
            }
            Long closedAt = closures.get(d.getName());
            if (closedAt != null && a.getAuditCount() > closedAt) {
                // a closure stops the frontier where it stands (since round 37, when closures joined the trail)
                problems.add(new Problem("Adoption", i, id, "decided after the direction's closure (record #"
                        + closedAt + "), which stops its frontier"));
            }
            Seed seed = seeds.get(d.getSeed());
            if (seed == null) {
                // the seed's own envelope failed (reported above): the rule cannot be re-derived
                // without its manifest, but the adoption is named rather than crashing the check
                problems.add(new Problem("Adoption", i, id, "seed " + d.getSeed() + " of the direction is unknown "
                        + "(its envelope is missing or failed verification): the adoption cannot be re-derived"));
                frontier.put(d.getName(), a.getCommit());
                continue;
            }
            Manifest m = seed.getManifest();
            Map<Long, Double> candidate = metrics(a.getCommit(), a.getHardwareClass(), a.getAuditCount(), m, onReputation);
            Map<Long, Double> previous = metrics(a.getPrevious(), a.getHardwareClass(), a.getAuditCount(), m, onReputation);
            Significance.Comparison c = Significance.compare(previous, candidate, m);
            if (c.decision() != Significance.Decision.ADOPT) {
                problems.add(new Problem("Adoption", i, id, "the rule does not adopt it from the results before it: "
                        + c.reason()));
            } else if (!c.candidate().equals(a.getCandidateMetricsList()) || !c.frontier().equals(a.getFrontierMetricsList())) {
                problems.add(new Problem("Adoption", i, id, "claimed metrics " + a.getCandidateMetricsList() + " vs "
                        + a.getFrontierMetricsList() + " differ from the results' " + c.candidate() + " vs " + c.frontier()));
            } else if (confirmationsUnavailable) {
                // a coordinator older than the confirmation stage adopted at the trial seeds alone;
                // one that names confirmation seeds it did not serve cannot be checked, and is told so
                if (a.getConfirmationSeedsCount() > 0) {
                    problems.add(new Problem("Adoption", i, id, "it names confirmation seeds "
                            + a.getConfirmationSeedsList() + ", but the export holds no confirmations (its "
                            + "coordinator served no /v1/confirmations), so they cannot be checked"));
                }
            } else if (Manifests.confirmationSeeds(m) > 0) {
                Optional<String> unconfirmed = confirmed(a, m, candidate, previous);
                if (unconfirmed.isPresent()) {
                    problems.add(new Problem("Adoption", i, id, unconfirmed.get()));
                }
            }
            frontier.put(d.getName(), a.getCommit());
        }
        for (int i = 0; i < statuses.size(); i++) {
            DirectionStatus s = statuses.get(i);
            String name = s.getDirection().getName();
            if (frontier.containsKey(name) && !frontier.get(name).equals(s.getFrontierCommit())) {
                problems.add(new Problem("Direction", i, name, "frontier is " + s.getFrontierCommit()
                        + " but its adoptions lead to " + frontier.get(name)));
            }
        }
    }

    /**
     * Why the adoption was not confirmed ({@link ConfirmationRule}), if it was not: the seeds it
     * names must be those drawn for it, before it was adopted, and the same rule must pass there
     * from the results accepted before the adoption.
     */
    private Optional<String> confirmed(Adoption a, Manifest m, Map<Long, Double> candidate,
            Map<Long, Double> previous) {
        Confirmation drawn = confirmations.get(a.getCommit());
        if (drawn == null || !drawn.getDirection().equals(a.getDirection())) {
            return Optional.of("the seed asks for " + Manifests.confirmationSeeds(m)
                    + " confirmation seed(s), and none were drawn for it");
        }
        if (!drawn.getRandomSeedsList().equals(a.getConfirmationSeedsList())) {
            return Optional.of("confirmed at " + a.getConfirmationSeedsList() + " but the seeds drawn for it were "
                    + drawn.getRandomSeedsList());
        }
        if (drawn.getAuditCount() > a.getAuditCount()) {
            return Optional.of("its confirmation seeds were drawn after it was adopted");
        }
        ConfirmationRule.Verdict v = ConfirmationRule.judge(previous, candidate, drawn.getRandomSeedsList(), previous,
                candidate, m);
        if (v.stage() != ConfirmationRule.Stage.ADOPT) {
            return Optional.of("the rule does not confirm it at its confirmation seeds from the results before it: "
                    + (v.confirmation() == null ? v.reason() : v.confirmation().reason()));
        }
        if (!v.confirmation().candidate().equals(a.getConfirmationCandidateMetricsList())
                || !v.confirmation().frontier().equals(a.getConfirmationFrontierMetricsList())) {
            return Optional.of("claimed confirmation metrics " + a.getConfirmationCandidateMetricsList() + " vs "
                    + a.getConfirmationFrontierMetricsList() + " differ from the results' "
                    + v.confirmation().candidate() + " vs " + v.confirmation().frontier());
        }
        return Optional.empty();
    }

    // --- confirmation seeds ------------------------------------------------------------------

    /**
     * Each confirmation's seeds re-derived ({@link ConfirmationRule#derive}) from its candidate's
     * results that had decided its trial stage when they were drawn, judged here from the results
     * accepted before, and, for a COMMITTED one, from its revealed secret, which must match the
     * commitment published before every one of those results. One the coordinator drew (the older
     * kind) cannot be checked and is counted; one drawn so after the coordinator derived another is
     * named: calling a ground draw the older kind would otherwise pass it. One without a reveal
     * (DRAWN, or DERIVED without a secret) is counted where its candidate was registered before the
     * export's first commitment, and named where it was registered after it or has a commitment:
     * the secret is fixed at registration, so a coordinator that commits had one for it. The drawn
     * and the unrevealed (DERIVED) ones counted.
     */
    private int[] checkDerivations(Map<String, Map<Long, Set<String>>> onReputation) {
        int drawn = 0;
        int unrevealed = 0;
        long firstDerived = Long.MAX_VALUE;
        for (Confirmation c : confirmations.values()) {
            if (c.getDerivation() != Confirmation.Derivation.DRAWN) {
                firstDerived = Math.min(firstDerived, c.getAuditCount());
            }
        }
        long firstCommitment = commitments.values().stream().mapToLong(SeedCommitment::getAuditCount).min()
                .orElse(Long.MAX_VALUE);
        Map<String, Long> resultIndexById = new HashMap<>();
        Map<String, Result> resultById = new HashMap<>();
        for (int r = 0; r < results.size(); r++) {
            resultIndexById.putIfAbsent(results.get(r).envelopeId(), resultIndexes.get(r));
            resultById.putIfAbsent(results.get(r).envelopeId(), results.get(r).result());
        }
        int unattested = 0;
        int i = 0;
        for (Confirmation c : confirmations.values()) {
            String id = c.getDirection() + "@" + c.getCommit();
            int index = i++;
            boolean committed = c.getDerivation() == Confirmation.Derivation.COMMITTED;
            SeedCommitment commitment = commitments.get(c.getCommit());
            if (!committed) {
                long registered = experimentIndexes.getOrDefault(c.getCommit(), -1L);
                if (commitment != null || registered >= firstCommitment) {
                    problems.add(new Problem("Confirmation", index, id, "its seeds are "
                            + (c.getDerivation() == Confirmation.Derivation.DRAWN ? "the coordinator's draw"
                                    : "derived without a secret")
                            + ", though " + (commitment != null ? "the coordinator committed to a secret for it"
                                    : "it was registered after the coordinator began committing to secrets (a "
                                            + "commitment made when " + firstCommitment + " envelopes were accepted)")
                            + ": a downgrade that lets the seeds be ground"));
                }
            }
            if (c.getDerivation() == Confirmation.Derivation.DRAWN) {
                drawn++;
                if (c.getAuditCount() > firstDerived) {
                    problems.add(new Problem("Confirmation", index, id, "its seeds are the coordinator's draw (the "
                            + "older kind, which cannot be checked), made after it had derived others: a coordinator "
                            + "that derives never draws"));
                }
                continue;
            }
            if (!committed) {
                unrevealed++;
            }
            Direction d = directions.get(c.getDirection());
            Seed seed = d == null ? null : seeds.get(d.getSeed());
            if (seed == null) {
                problems.add(new Problem("Confirmation", index, id, "direction " + c.getDirection()
                        + " or its seed is unknown: its seeds cannot be re-derived"));
                continue;
            }
            Manifest m = seed.getManifest();
            List<Trials.Outcome> outcomes = new ArrayList<>();
            List<Long> trialSeeds = Manifests.trialSeeds(m);
            outcomes(c.getCommit(), c.getAuditCount(), m, onReputation).forEach((s, o) -> {
                if (trialSeeds.contains(s)) {
                    outcomes.addAll(o);
                }
            });
            List<String> basis = ConfirmationRule.basis(outcomes, c.getHardwareClass());
            byte[] reveal = committed ? c.getSeedReveal().toByteArray() : null;
            if (committed) {
                commitmentProblem(c, commitment, basis, resultIndexById)
                        .or(() -> attestationProblem(c, commitment, basis, resultById, resultIndexById))
                        .ifPresent(why -> problems.add(new Problem("Confirmation", index, id, why)));
                if (basis.stream().map(resultById::get).anyMatch(r -> r != null && !r.getAttestsSeedCommitment())) {
                    unattested++;
                }
            }
            // a confirmation is drawn from decided trials, whose replicas are all in: a result it was
            // derived from that is still sealed was not decided when the coordinator said it was
            c.getDerivedFromList().stream().filter(sealedIds::containsKey).forEach(sealedId -> problems.add(
                    new Problem("Confirmation", index, id, "derived from result #" + sealedIds.get(sealedId) + " "
                            + sealedId + ", still sealed when exported (a replica of its trial was out): its "
                            + "trial was not decided")));
            ConfirmationRule.derivationProblem(c.getCommit(), c.getDerivedFromList(), c.getRandomSeedsList(), basis,
                    reveal, m).ifPresent(why -> problems.add(new Problem("Confirmation", index, id, why)));
        }
        return new int[] {drawn, unrevealed, unattested};
    }

    /**
     * Why a COMMITTED confirmation's deciding results do not attest its commitment, if they do
     * not (round 27): each runner signed the commitment its lease carried, so a result naming
     * another ran before this one was made (or under another), and one whose node attests
     * commitments but names none was leased while the candidate had none: either way the
     * secret may have been fixed after the results. Results of older nodes attest nothing and
     * are counted ({@code confirmationsUnattested}), as older records are.
     */
    private static Optional<String> attestationProblem(Confirmation c, SeedCommitment commitment, List<String> basis,
            Map<String, Result> resultById, Map<String, Long> resultIndexById) {
        for (String resultId : basis) {
            Result r = resultById.get(resultId);
            if (r == null || !r.getAttestsSeedCommitment()) {
                continue;
            }
            String trial = "deciding result #" + resultIndexById.get(resultId) + " " + resultId + " (trial of "
                    + c.getCommit() + " at seed " + Long.toUnsignedString(r.getRandomSeed()) + ", "
                    + r.getHardwareClass() + ", run by " + PublicId.hex(r.getRunner()) + ")";
            if (r.getSeedCommitment().isEmpty()) {
                return Optional.of(trial + " names no seed commitment, though its runner's node signs the one its "
                        + "lease carries: the commitment published at envelope #" + commitment.getAuditCount()
                        + " was not in its lease, so the secret may have been fixed after the result");
            }
            if (!r.getSeedCommitment().equals(commitment.getCommitment())) {
                return Optional.of(trial + " names seed commitment "
                        + HexFormat.of().formatHex(r.getSeedCommitment().toByteArray())
                        + ", not the one revealed: the secret was not the one its runner was shown");
            }
        }
        return Optional.empty();
    }

    /**
     * Why a COMMITTED confirmation's reveal does not stand, if it does not: the export must hold
     * the candidate's commitment, the reveal must be its secret, and the commitment must precede
     * every result that decided the trial stage (one made after could be chosen knowing them).
     */
    private static Optional<String> commitmentProblem(Confirmation c, SeedCommitment commitment, List<String> basis,
            Map<String, Long> resultIndexById) {
        if (commitment == null) {
            return Optional.of("it reveals a seed secret, but the export holds no commitment to it for "
                    + c.getCommit());
        }
        byte[] reveal = c.getSeedReveal().toByteArray();
        if (!MessageDigest.isEqual(ConfirmationRule.commitment(reveal), commitment.getCommitment().toByteArray())) {
            return Optional.of("its revealed secret does not match the commitment published for it at envelope #"
                    + commitment.getAuditCount() + ": the secret was changed after it was fixed");
        }
        for (String resultId : basis) {
            long at = resultIndexById.getOrDefault(resultId, -1L);
            if (at < commitment.getAuditCount()) {
                return Optional.of("its seed commitment (made when " + commitment.getAuditCount() + " envelopes were "
                        + "accepted) does not precede deciding result #" + at + " " + resultId + ": a secret fixed "
                        + "after a result can be chosen to suit it");
            }
        }
        return Optional.empty();
    }

    /** A commit's decided trial metrics by random seed, judged from the results accepted before {@code auditCount}. */
    private Map<Long, Double> metrics(String commit, String hardwareClass, long auditCount, Manifest m,
            Map<String, Map<Long, Set<String>>> onReputation) {
        Map<Long, Double> metrics = new HashMap<>();
        outcomes(commit, auditCount, m, onReputation).forEach((seed, outcomes) -> outcomes.stream()
                .filter(o -> o.decided() && o.hardwareClass().equals(hardwareClass))
                .forEach(o -> metrics.put(seed, o.metric().getAsDouble())));
        return metrics;
    }

    /** A commit's trials by random seed, each judged by {@link Trials} from the results accepted before {@code auditCount}. */
    private Map<Long, List<Trials.Outcome>> outcomes(String commit, long auditCount, Manifest m,
            Map<String, Map<Long, Set<String>>> onReputation) {
        Map<Long, List<Trials.Entry>> bySeed = new LinkedHashMap<>();
        for (int i = 0; i < results.size(); i++) {
            Trials.Entry e = results.get(i);
            if (resultIndexes.get(i) < auditCount && e.result().getCommit().equals(commit)) {
                bySeed.computeIfAbsent(e.result().getRandomSeed(), s -> new ArrayList<>())
                        .add(new Trials.Entry(e.envelopeId(), e.result(), tooLate.contains(e.envelopeId())));
            }
        }
        Map<Long, List<Trials.Outcome>> outcomes = new LinkedHashMap<>();
        bySeed.forEach((seed, entries) -> outcomes.put(seed, Trials.judge(entries, Manifests.quorum(m),
                m.getMetric().getTolerance(), onReputation.getOrDefault(commit, Map.of()).getOrDefault(seed, Set.of()))));
        return outcomes;
    }
}
