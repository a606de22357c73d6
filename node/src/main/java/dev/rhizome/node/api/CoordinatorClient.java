package dev.rhizome.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnderWayList;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.identity.PublicId;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coordinator's HTTP API as method calls, speaking protobuf. Every state-changing call is
 * signed here with the caller's identity; reads are plain GETs. The parts: {@link CoordinatorHttp}
 * makes each exchange, {@link CoordinatorNetwork} keeps the network records are signed for, and
 * {@link ClaimDelivery} sees each claim answered.
 */
public final class CoordinatorClient {
    private final URI base;
    private final Identity identity;
    /** The largest answer read (a whole direction's leaderboard of some 100,000 experiments fits). */
    public static final long MAX_ANSWER_BYTES = 128L << 20;
    /** A call still unanswered after this long is told to the {@link Reachability} watcher, which may say so. */
    public static final Duration SLOW_CALL = Duration.ofSeconds(5);
    private final CoordinatorNetwork network;
    private final CoordinatorHttp http;
    private final ClaimDelivery claims;

    /**
     * Told when a record the coordinator refused as another network's went again, signed for the
     * network the coordinator now answers ({@link #resignOnceWhenNetworkChanges}).
     */
    @FunctionalInterface
    public interface NetworkChange {
        /** {@code call} (method and path), signed for {@code from}, was refused and goes again signed for {@code to}. */
        void resigned(String call, String from, String to);
    }

    /**
     * A record refused as signed for another network ({@code WRONG_NETWORK}) is signed again and
     * sent once more, and {@code said} told, when the coordinator, asked again at once, answers
     * another network than the record named: that proves it now serves another network (started
     * afresh on the same URL, its store replaced), which the CLI's kept id follows. A refusal with
     * the coordinator still answering the record's network proves nothing and is thrown as it came;
     * a node never opts in (what it keeps is its network's, {@link KnownNetwork}).
     */
    public CoordinatorClient resignOnceWhenNetworkChanges(NetworkChange said) {
        network.resignOnceWhenItChanges(said);
        return this;
    }

    /**
     * Told how calls to the coordinator go, as far as reaching it goes, so that a long-running
     * caller (a node) can tell its volunteer promptly that the coordinator is away, whichever of
     * its threads called: the only call due may be a claim that waits a minute for its answer.
     */
    public interface Reachability {
        Reachability NOBODY = new Reachability() {
            @Override
            public void answered() {
            }

            @Override
            public void unreachable(String why) {
            }

            @Override
            public void slow(String call, Duration waited) {
            }
        };

        /** The coordinator answered a call (any answer of its own, a refusal included). */
        void answered();

        /** A call failed without an answer from a coordinator: {@code why} names the address and the error. */
        void unreachable(String why);

        /** {@code call} (method and path) has waited {@code waited} so far and still waits. */
        void slow(String call, Duration waited);
    }

    /** Who is told of each wait a read refused {@code 429} makes before asking again (the default: nobody). */
    public CoordinatorClient onReadWait(ReadRetry.Waits waits) {
        http.onReadWait(waits);
        return this;
    }

    /** Replaces the watcher (one per client; the default tells nobody). */
    public void watch(Reachability watcher) {
        http.watch(watcher);
    }

    public CoordinatorClient(String url, Identity identity) {
        this(url, identity, Duration.ofSeconds(30));
    }

    public CoordinatorClient(String url, Identity identity, Duration timeout) {
        this(url, identity, timeout, MAX_ANSWER_BYTES);
    }

    CoordinatorClient(String url, Identity identity, Duration timeout, long maxAnswerBytes) {
        this.base = parseUrl(url);
        this.identity = identity;
        this.network = new CoordinatorNetwork(base, identity, this::stats);
        this.http = new CoordinatorHttp(base, timeout, maxAnswerBytes, network::refused);
        this.claims = new ClaimDelivery(http, network);
    }

    public URI url() {
        return base;
    }

    /**
     * How far the coordinator's address reaches now ({@link CoordinatorReach}): the addresses it
     * hands out are dialled only if they reach no narrower. May look its name up (blocks on DNS).
     */
    public PeerAddress.Reach reach() {
        return CoordinatorReach.of(base);
    }

    /**
     * A coordinator URL as given by a user, checked: {@code http://host:port} (a trailing slash
     * is dropped). Anything else is refused with a message that says what was expected, and for
     * the common slip of leaving the scheme out ({@code 127.0.0.1:7700}), what was meant.
     */
    public static URI parseUrl(String url) {
        String trimmed = url == null ? "" : url.strip();
        trimmed = trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
        URI parsed;
        try {
            parsed = new URI(trimmed);
        } catch (URISyntaxException e) {
            parsed = null;
        }
        if (parsed == null || parsed.getScheme() == null || !(parsed.getScheme().equals("http")
                || parsed.getScheme().equals("https")) || parsed.getHost() == null) {
            boolean noScheme = !trimmed.contains("://") && !trimmed.isEmpty();
            throw new IllegalArgumentException("coordinator URL must be http://host:port, got '" + url + "'"
                    + (noScheme ? " (did you mean http://" + trimmed + " ?)" : ""));
        }
        return parsed;
    }

    /**
     * Why a call to a coordinator failed, in words: the JDK's exceptions often carry no message,
     * only a class name ({@code ClosedChannelException}, {@code UnresolvedAddressException}), which
     * says nothing to someone who did not write the code.
     */
    public static String describe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host (check the host name in the URL)";
            }
        }
        if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no answer to the connection in time";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer in time";
        }
        if (e instanceof ClosedChannelException || e.getCause() instanceof ClosedChannelException) {
            return "the connection was closed (nothing listens there, or it is not a rhizome coordinator)";
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS failed (" + e.getMessage() + "); a coordinator speaks plain http:// unless a proxy in front adds TLS";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /**
     * The error a non-2xx answer carries, or null when the answer is not a rhizome coordinator's:
     * the coordinator always sends an {@link Error} with a code, so an answer without one (an
     * HTML page, an empty 404) came from something else at that URL: a wrong port or path, or a
     * proxy.
     */
    public static Error coordinatorError(byte[] body) {
        try {
            Error error = Error.parseFrom(body);
            return error.getCode() == Error.Code.CODE_UNSPECIFIED ? null : error;
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }

    /** The message for an answer that did not come from a rhizome coordinator. */
    public static String notACoordinator(URI base, String method, String path, int status) {
        return "the server at " + base + " is not a rhizome coordinator (" + method + " " + path + " got HTTP "
                + status + " without a coordinator's error): check the --coordinator URL (host, port, no extra path)";
    }

    public Identity identity() {
        return identity;
    }

    /**
     * The network this coordinator serves ({@code network_id} of {@code GET /v1/stats}), read on
     * first use and kept: every record signed here names it, so that a record captured here is
     * refused by any other network's coordinator. Read again after a refusal that says the
     * network is another (the coordinator's store was replaced).
     */
    public String network() throws CoordinatorException {
        return network.id();
    }

    /**
     * Keeps the network id in {@code kept} (a node's data dir, the CLI's per coordinator URL): read
     * from there instead of asking the coordinator, written when first learnt, and checked against
     * each answer of {@link #networkAsAnswered()}; a coordinator answering another id is then a
     * {@code WRONG_NETWORK} error that says what to do, and this client keeps signing for the kept one.
     */
    public CoordinatorClient keepNetworkIn(KnownNetwork kept) {
        network.keepIn(kept);
        return this;
    }

    /**
     * Asks the coordinator for its network id ({@code GET /v1/stats}) and checks it against the one
     * kept ({@link #keepNetworkIn}), keeping it when none is. A node asks at each ask for entry
     * points, so that a coordinator started on another store is noticed and said, not followed.
     */
    public String networkAsAnswered() throws CoordinatorException {
        return network.asAnswered();
    }

    /** {@code record} signed with this client's key for the coordinator's network. */
    public SignedEnvelope signed(Message record) throws CoordinatorException {
        return network.sign(record);
    }

    public Ack publishSeed(Seed seed) throws CoordinatorException {
        return postSigned("/v1/seeds", seed, Ack.parser());
    }

    public Ack openDirection(Direction direction) throws CoordinatorException {
        return postSigned("/v1/directions", direction, Ack.parser());
    }

    /** Operators only: the direction hands out no more work. */
    public Ack closeDirection(DirectionClosure closure) throws CoordinatorException {
        return postSigned("/v1/directions/close", closure, Ack.parser());
    }

    /**
     * Operators only: the trials of a direction's commit queued again the most times a trial is,
     * and decided in another class each time, get one more set of replicas, ahead of other work.
     */
    public Ack requeueTrials(TrialRequeueOrder order) throws CoordinatorException {
        return postSigned("/v1/directions/requeue", order, Ack.parser());
    }

    /** Operators only: the key's claims, results, experiments and papers are refused from now on. */
    public Ack ban(KeyBan ban) throws CoordinatorException {
        return postSigned("/v1/bans", ban, Ack.parser());
    }

    /**
     * Where a claimant keeps a unit it was handed, so that its next start finds it (a node's
     * buffer, an agent's saved claim). Run before the claim leaves the journal: a process killed
     * between the answer and this write leaves the claim there, and its next claim sends it again
     * and is handed the same lease. A throw keeps the claim in the journal for the next process.
     */
    @FunctionalInterface
    public interface Recorder {
        Recorder NONE = unit -> { };

        void record(WorkUnit unit) throws IOException;
    }

    /** {@link #claim(ClaimRequest, Recorder)} for a claimant that keeps the unit nowhere else. */
    public ClaimResponse claim(ClaimRequest request) throws CoordinatorException {
        try {
            return claim(request, Recorder.NONE);
        } catch (IOException e) {
            throw new IllegalStateException("a claim recorded nowhere failed to record", e);
        }
    }

    /**
     * Claims a unit. Each claim carries a fresh nonce (unless the request brings its own), which the
     * coordinator accepts once. A claim that got no answer is kept and sent again, as signed, by a
     * later claim of the same kinds ({@link UnansweredClaim}), each kept claim by one: if the
     * coordinator leased a unit and died before replying, that unit is the answer; if it refuses the
     * old claim (it never took it, the unit is no longer held, or it is too old), the next kept one
     * goes, then a fresh one. A unit handed out is given to {@code recorder} before its claim
     * leaves the journal ({@link Recorder}); its failure is thrown.
     */
    public ClaimResponse claim(ClaimRequest request, Recorder recorder) throws CoordinatorException, IOException {
        return claims.claim(request, recorder);
    }

    /**
     * Posts {@code record} signed for the coordinator's network; refused as another network's
     * while the coordinator now answers another one, signed again for it and posted once more
     * ({@link #resignOnceWhenNetworkChanges}).
     */
    private <T extends Message> T postSigned(String path, Message record, Parser<T> parser) throws CoordinatorException {
        SignedEnvelope first = signed(record);
        try {
            return post(path, first, parser);
        } catch (CoordinatorException e) {
            SignedEnvelope again = network.resignedForChangedNetwork(e, "POST " + path, first, record);
            if (again == null) {
                throw e;
            }
            return post(path, again, parser);
        }
    }

    /**
     * How long a stopping claimant asks what became of the claim its stop cut: 4 s with a core to
     * spare, longer as the load per core grows, up to 8 s, inside the 10 s a node's stop waits for
     * its slots (the coordinator lets go of the held claim and answers; on a loaded machine that
     * took longer than 4 s, and the claim stayed in the journal for the next start to settle).
     */
    public static final LoadScaledBudget SETTLE_TIMEOUT = new LoadScaledBudget(Duration.ofSeconds(4), Duration.ofSeconds(8));

    /**
     * Keeps each claim in flight in {@code dir} until it is answered, and takes those an earlier
     * process left there unanswered (killed before their answers came) to be sent again, each by one
     * later claim of the same kinds, as {@link UnansweredClaim} does within a process. For a node,
     * whose data directory outlives its process, before its first claim; {@code slots} bounds the
     * claims kept (each slot has one in flight at most).
     */
    public void keepClaimsIn(Path dir, int slots) {
        claims.keepIn(dir, slots);
    }

    /**
     * {@link #keepClaimsIn} for a process that shares its key and {@code dir} with others of its
     * kind (agents' commands: several may run at once on one data directory): each keeps its
     * claims in files of its own, and takes over those of processes that died with claims
     * unanswered, to send them again. Once per client; a second call changes nothing.
     */
    public void keepClaimsOfThisProcessIn(Path dir) {
        claims.keepOfThisProcessIn(dir);
    }

    /**
     * Sends again each kept claim that asks something other than {@code request} (a dead process's,
     * on another direction), and hands each unit they got to {@code settle}: leased to this key, and
     * wanted by no claim here, so the caller gives each back rather than leave it leased until its
     * deadline; a claim whose unit {@code settle} failed on stays in the journal for the next
     * process. A claim that reaches no coordinator stays kept, and this stops there.
     */
    public void resendUnansweredUnlike(ClaimRequest request, Recorder settle) {
        claims.resendUnansweredUnlike(request, settle);
    }

    /**
     * Gives back an EVALUATE unit this node holds and will not run: open to the next claim at once,
     * not counted as a failed attempt nor against this node's standing.
     */
    public Ack giveBackLease(LeaseGiveBack giveBack) throws CoordinatorException {
        return postSigned("/v1/leases/give-back", giveBack, Ack.parser());
    }

    /** Extends a lease this node holds; the Ack's message is the new deadline in epoch ms. */
    public Ack renewLease(LeaseRenewal renewal) throws CoordinatorException {
        return postSigned("/v1/leases/renew", renewal, Ack.parser());
    }

    public Ack registerExperiment(Experiment experiment) throws CoordinatorException {
        return postSigned("/v1/experiments", experiment, Ack.parser());
    }

    /** One experiment's outcome, results and papers together. */
    public ExperimentReport experimentReport(String commit) throws CoordinatorException {
        return get("/v1/experiment", query("commit", commit), ExperimentReport.parser());
    }

    /**
     * Several experiments' reports in one answer (at most 20 commits; a coordinator older than round
     * 30 answers 404 for the route: ask for each with {@link #experimentReport}).
     */
    public ExperimentReportList experimentReports(List<String> commits) throws CoordinatorException {
        return get("/v1/experiment-reports", query("commits", String.join(",", commits)), ExperimentReportList.parser());
    }

    public Ack exploreDone(ExploreDone done) throws CoordinatorException {
        return postSigned("/v1/explore-done", done, Ack.parser());
    }

    /** Posts an already signed Result: results are signed once, kept in the outbox, and resent as is. */
    public Ack reportResult(SignedEnvelope signedResult) throws CoordinatorException {
        return post("/v1/results", signedResult, Ack.parser());
    }

    public Ack publishPaper(Paper paper) throws CoordinatorException {
        return postSigned("/v1/papers", paper, Ack.parser());
    }

    public Ack announce(NodeAnnouncement announcement) throws CoordinatorException {
        return postSigned("/v1/announce", announcement, Ack.parser());
    }

    public SeedList seeds() throws CoordinatorException {
        return getAll("/v1/seeds", Map.of(), SeedList.parser());
    }

    public DirectionList directions() throws CoordinatorException {
        return getAll("/v1/directions", Map.of(), DirectionList.parser());
    }

    public PeerList peers(String commit) throws CoordinatorException {
        return get("/v1/peers", Map.of("commit", commit), PeerList.parser());
    }

    /** Recently seen nodes, newest first: where to start dialling the gossip network. */
    public PeerList nodes() throws CoordinatorException {
        return get("/v1/nodes", Map.of(), PeerList.parser());
    }

    public EnvelopeList results(String direction, String commit) throws CoordinatorException {
        return getAll("/v1/results", query("direction", direction, "commit", commit), EnvelopeList.parser());
    }

    public EnvelopeList papers(String direction) throws CoordinatorException {
        return getAll("/v1/papers", query("direction", direction), EnvelopeList.parser());
    }

    /**
     * One page of results, oldest first: at most {@code limit} (1 to 1,000) after the cursor
     * {@code after} (a previous page's {@code next}; empty for the first page). The answer's
     * {@code next} is empty on the last page.
     */
    public EnvelopeList resultsPage(String direction, String commit, int limit, String after)
            throws CoordinatorException {
        return get("/v1/results", query("direction", direction, "commit", commit, "limit", Integer.toString(limit),
                "after", after), EnvelopeList.parser());
    }

    /** One page of papers, newest first, as {@link #resultsPage} pages results. */
    public EnvelopeList papersPage(String direction, int limit, String after) throws CoordinatorException {
        return get("/v1/papers", query("direction", direction, "limit", Integer.toString(limit), "after", after),
                EnvelopeList.parser());
    }

    /**
     * One page of the papers with every word of {@code search} in their title or body and, with
     * {@code commit} (a full id), about that commit: the coordinator filters while it walks, so the
     * page holds {@code limit} matches and its {@code next} continues after them. Newest first, or
     * with {@code oldestFirst} after {@code after} oldest first (what was published since a kept
     * {@code newest}). {@code search}, {@code commit} and {@code after} may be empty.
     */
    public EnvelopeList papersPage(String direction, String search, String commit, boolean oldestFirst, int limit,
            String after) throws CoordinatorException {
        return get("/v1/papers", query("direction", direction, "search", search, "commit", commit,
                "order", oldestFirst ? "oldest" : "", "limit", Integer.toString(limit), "after", after),
                EnvelopeList.parser());
    }

    /** All the papers a search keeps (see {@link #papersPage(String, String, String, boolean, int, String)}), newest first. */
    public EnvelopeList papers(String direction, String search, String commit) throws CoordinatorException {
        return getAll("/v1/papers", query("direction", direction, "search", search, "commit", commit),
                EnvelopeList.parser());
    }

    /** The newest {@code n} results (at most 1,000), newest first, of a direction or all, of a commit or all. */
    public EnvelopeList newestResults(String direction, String commit, int n) throws CoordinatorException {
        return get("/v1/results", query("direction", direction, "commit", commit, "newest", Integer.toString(n)),
                EnvelopeList.parser());
    }

    public ExperimentList experiments(String direction) throws CoordinatorException {
        return getAll("/v1/experiments", query("direction", direction), ExperimentList.parser());
    }

    /**
     * One page of a direction's experiments, oldest first, after the cursor {@code after} (empty for
     * the first): the answer's {@code newest}, kept and passed here later, reads what came since.
     */
    public ExperimentList experimentsPage(String direction, int limit, String after) throws CoordinatorException {
        return get("/v1/experiments", query("direction", direction, "limit", Integer.toString(limit), "after", after),
                ExperimentList.parser());
    }

    /**
     * One page of a direction's experiments, newest first: {@code n} (1 to 1,000) before the cursor
     * {@code after} (a previous answer's {@code next}; empty for the newest).
     */
    public ExperimentList newestExperimentsPage(String direction, int n, String after) throws CoordinatorException {
        return get("/v1/experiments", query("direction", direction, "newest", Integer.toString(n), "after", after),
                ExperimentList.parser());
    }

    /** A direction's newest {@code n} results (at most 1,000), newest first, in one request. */
    public EnvelopeList newestResults(String direction, int n) throws CoordinatorException {
        return get("/v1/results", query("direction", direction, "newest", Integer.toString(n)), EnvelopeList.parser());
    }

    /** A direction's newest {@code n} experiments (at most 1,000), newest first, in one request. */
    public ExperimentList newestExperiments(String direction, int n) throws CoordinatorException {
        return get("/v1/experiments", query("direction", direction, "newest", Integer.toString(n)),
                ExperimentList.parser());
    }

    /** Each board's best {@code limit} entries. */
    public LeaderboardList leaderboard(String direction, String hardwareClass, int limit) throws CoordinatorException {
        return get("/v1/leaderboard", query("direction", direction, "hardware_class", hardwareClass,
                "limit", Integer.toString(limit)), LeaderboardList.parser());
    }

    public LeaderboardList leaderboard(String direction, String hardwareClass) throws CoordinatorException {
        return get("/v1/leaderboard", query("direction", direction, "hardware_class", hardwareClass),
                LeaderboardList.parser());
    }

    public UnitList units(String state) throws CoordinatorException {
        return getAll("/v1/units", query("state", state), UnitList.parser());
    }

    /** The explorations agents claimed on {@code direction} with a hypothesis and hold now, newest first. */
    public UnderWayList underWay(String direction) throws CoordinatorException {
        return get("/v1/under-way", query("direction", direction), UnderWayList.parser());
    }

    /** The unit {@code id} alone, in one request; empty when the coordinator has no unit of that id. */
    public Optional<UnitStatus> unit(String id) throws CoordinatorException {
        try {
            return get("/v1/units", query("unit", id), UnitList.parser()).getUnitsList().stream().findFirst();
        } catch (CoordinatorException e) {
            // its "no such unit" only: a 404 about anything else (the route unknown to whatever
            // answered) is not an answer about the unit, and the caller may ask another way
            if (e.isRefusal() && e.code() == Error.Code.NOT_FOUND && String.valueOf(e.getMessage()).startsWith("unknown unit ")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every frontier change, in the order decided (one direction's, or every direction's when null). */
    public AdoptionList adoptions(String direction) throws CoordinatorException {
        return getAll("/v1/adoptions", query("direction", direction), AdoptionList.parser());
    }

    /** The confirmations drawn for candidates and their seed commitments (one direction's, or every direction's when null), every page. */
    public ConfirmationList confirmations(String direction) throws CoordinatorException {
        return getAll("/v1/confirmations", query("direction", direction), ConfirmationList.parser());
    }

    /** Volunteers' credit (compute seconds of valid results), reputation and quota, most credit first. */
    public VolunteerList volunteers() throws CoordinatorException {
        return getAll("/v1/volunteers", Map.of(), VolunteerList.parser());
    }

    /**
     * One key's credit and standing, empty when the coordinator has no record of it yet (no judged
     * result); one request, where {@link #volunteers()} reads every page.
     */
    public Optional<Volunteer> volunteer(ByteString key) throws CoordinatorException {
        return get("/v1/volunteers", Map.of("key", PublicId.hex(key)), VolunteerList.parser()).getVolunteersList()
                .stream().filter(v -> v.getKey().equals(key)).findFirst();
    }

    public CoordinatorStats stats() throws CoordinatorException {
        return get("/v1/stats", Map.of(), CoordinatorStats.parser());
    }

    private static Map<String, String> query(String... keysAndValues) {
        Map<String, String> q = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null && !keysAndValues[i + 1].isEmpty()) {
                q.put(keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return q;
    }

    /** A whole list, read a page at a time ({@link ListPages}). */
    private <T extends Message> T getAll(String path, Map<String, String> query, Parser<T> parser)
            throws CoordinatorException {
        return ListPages.readAll(after -> {
            Map<String, String> page = new LinkedHashMap<>(query);
            page.put("limit", Integer.toString(ListPages.LIMIT));
            if (!after.isEmpty()) {
                page.put("after", after);
            }
            return get(path, page, parser);
        }, why -> new CoordinatorException(200, Error.Code.INTERNAL, "GET " + path + " at " + base + " " + why
                + "; stopped reading the list"));
    }

    private <T extends Message> T post(String path, SignedEnvelope body, Parser<T> parser) throws CoordinatorException {
        return http.post(path, body, parser);
    }

    private <T extends Message> T get(String path, Map<String, String> query, Parser<T> parser)
            throws CoordinatorException {
        return http.get(path, query, parser);
    }

}
