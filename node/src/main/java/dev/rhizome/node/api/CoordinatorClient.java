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
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerList;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.identity.PublicId;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The coordinator's HTTP API as method calls, speaking protobuf. Every state-changing call is
 * signed here with the caller's identity; reads are plain GETs.
 */
public final class CoordinatorClient {
    private static final String PROTOBUF = "application/x-protobuf";

    private final URI base;
    private final Identity identity;
    private final HttpClient http;
    private final Duration timeout;
    /** The largest answer read (a whole direction's leaderboard of some 100,000 experiments fits). */
    public static final long MAX_ANSWER_BYTES = 128L << 20;
    private final long maxAnswerBytes;
    private final UnansweredClaim unanswered = new UnansweredClaim();
    /** Claims in flight on disk, for a node's restart to send again; null: in memory only. */
    private volatile ClaimJournal journal;
    /** A call still unanswered after this long is told to the {@link Reachability} watcher, which may say so. */
    public static final Duration SLOW_CALL = Duration.ofSeconds(5);
    /** What a claim that waits leaves of the client's timeout for the claim itself. */
    static final Duration CLAIM_ROOM = Duration.ofSeconds(5);
    private volatile Reachability reachability = Reachability.NOBODY;
    /** Told of each wait a read refused 429 makes before it asks again ({@link ReadRetry}). */
    private volatile ReadRetry.Waits readWaits = ReadRetry.Waits.NOBODY;
    /** The coordinator's network id once read ({@link #network()}); null until then. */
    private volatile String network;
    /** Where the network id is kept between processes ({@link #keepNetworkIn}); null: in memory only. */
    private volatile KnownNetwork known;
    /** Set by a {@code WRONG_NETWORK} refusal: the next {@link #network()} asks the coordinator, not the file. */
    private volatile boolean askAgain;
    /** Told of a record sent again for the network the coordinator now serves; null: such a refusal is the caller's. */
    private volatile NetworkChange networkChange;

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
        this.networkChange = said;
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
        this.readWaits = waits == null ? ReadRetry.Waits.NOBODY : waits;
        return this;
    }

    /** Replaces the watcher (one per client; the default tells nobody). */
    public void watch(Reachability watcher) {
        this.reachability = watcher == null ? Reachability.NOBODY : watcher;
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
        this.timeout = timeout;
        this.maxAnswerBytes = maxAnswerBytes;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
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
        String known = network;
        if (known != null) {
            return known;
        }
        KnownNetwork kept = this.known;
        if (kept != null && !askAgain) {
            try {
                known = kept.read();
            } catch (IOException e) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, e.getMessage());
            }
            if (known != null) {
                network = known;
                return known;
            }
        }
        return networkAsAnswered();
    }

    /**
     * Keeps the network id in {@code kept} (a node's data dir, the CLI's per coordinator URL): read
     * from there instead of asking the coordinator, written when first learnt, and checked against
     * each answer of {@link #networkAsAnswered()}; a coordinator answering another id is then a
     * {@code WRONG_NETWORK} error that says what to do, and this client keeps signing for the kept one.
     */
    public CoordinatorClient keepNetworkIn(KnownNetwork kept) {
        this.known = kept;
        return this;
    }

    /**
     * Asks the coordinator for its network id ({@code GET /v1/stats}) and checks it against the one
     * kept ({@link #keepNetworkIn}), keeping it when none is. A node asks at each ask for entry
     * points, so that a coordinator started on another store is noticed and said, not followed.
     */
    public String networkAsAnswered() throws CoordinatorException {
        String id = stats().getNetworkId();
        if (id.isEmpty()) {
            throw new CoordinatorException(200, Error.Code.UNSUPPORTED, "the coordinator at " + base
                    + " names no network (GET /v1/stats has no network_id): it predates records signed for"
                    + " a network; upgrade it");
        }
        try {
            Envelopes.checkNetwork(id);
        } catch (IllegalArgumentException e) {
            throw new CoordinatorException(200, Error.Code.INTERNAL, "the coordinator at " + base
                    + " serves an unusable network id: " + e.getMessage());
        }
        KnownNetwork kept = this.known;
        if (kept != null) {
            try {
                kept.check(base, id);
            } catch (KnownNetwork.Mismatch e) {
                network = e.kept();  // not followed: what is signed here stays the kept network's
                throw new CoordinatorException(200, Error.Code.WRONG_NETWORK, e.getMessage());
            } catch (IOException e) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, "cannot keep the coordinator's network id in "
                        + kept.file() + ": " + e.getMessage());
            }
        }
        askAgain = false;
        network = id;
        return id;
    }

    /** {@code record} signed with this client's key for the coordinator's network. */
    public SignedEnvelope signed(Message record) throws CoordinatorException {
        return Envelopes.sign(identity, network(), record);
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
        request = withinTimeout(request);
        if (!request.getNonce().isEmpty()) {
            return post("/v1/claim", signed(request), ClaimResponse.parser(), held(request));
        }
        for (Optional<SignedEnvelope> again = unanswered.take(request, System.currentTimeMillis()); again.isPresent();
                again = unanswered.take(request, System.currentTimeMillis())) {
            try {
                return sendClaim(again.get(), recorder);
            } catch (CoordinatorException e) {
                if (e.status() == 0) {
                    throw e;
                }
            }
        }
        ClaimRequest fresh = request.toBuilder().setNonce(freshNonce()).build();
        SignedEnvelope first = signed(fresh);
        try {
            return sendClaim(first, recorder);
        } catch (CoordinatorException e) {
            // refused, so nothing was leased for it: the same claim signed for the new network
            // (a fresh nonce: the refused one is spent for nothing) is no second lease
            SignedEnvelope again = resignedForChangedNetwork(e, "POST /v1/claim", first,
                    fresh.toBuilder().setNonce(freshNonce()).build());
            if (again == null) {
                throw e;
            }
            return sendClaim(again, recorder);
        }
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
            SignedEnvelope again = resignedForChangedNetwork(e, "POST " + path, first, record);
            if (again == null) {
                throw e;
            }
            return post(path, again, parser);
        }
    }

    /**
     * {@code record} signed for the network the coordinator answers now, when {@code refusal} is a
     * {@code WRONG_NETWORK} refusal of {@code first} and that network is another than
     * {@code first}'s; null otherwise (the refusal stands: not opted in, another refusal, or the
     * coordinator still answers the network {@code first} was signed for).
     */
    private SignedEnvelope resignedForChangedNetwork(CoordinatorException refusal, String call, SignedEnvelope first,
            Message record) throws CoordinatorException {
        NetworkChange said = networkChange;
        if (said == null || refusal.status() == 0 || refusal.code() != Error.Code.WRONG_NETWORK) {
            return null;
        }
        // asked of the coordinator, not read from the file: send() dropped the id it held
        // (and, with a kept file, asked already and followed the answer)
        String now = network();
        if (now.equals(first.getNetwork())) {
            return null;
        }
        said.resigned(call, first.getNetwork(), now);
        return Envelopes.sign(identity, now, record);
    }

    /**
     * Posts a signed claim; one that gets no answer is kept to be sent again, aged from its signing.
     * Its journal entry goes once the answer is recorded: a unit by {@code recorder}, anything else
     * at once.
     */
    private ClaimResponse sendClaim(SignedEnvelope signed, Recorder recorder) throws CoordinatorException, IOException {
        ClaimJournal kept = journal;
        if (kept != null) {
            kept.write(signed, System.currentTimeMillis());
        }
        ClaimResponse answer;
        try {
            answer = post("/v1/claim", signed, ClaimResponse.parser(), held(signedRequest(signed)));
        } catch (CoordinatorException e) {
            if (e.status() == 0) {
                boolean settled = kept != null && e.getCause() instanceof InterruptedException
                        && settleCutClaim(signed, recorder, kept);
                if (!settled) {
                    unanswered.keep(signedRequest(signed), signed, System.currentTimeMillis());
                }
            } else if (kept != null) {
                kept.answered(signed);
            }
            throw e;
        }
        if (answer.hasUnit()) {
            CrashPoints.at(CrashPoints.CLAIM_ANSWERED);
            recorder.record(answer.getUnit());
        }
        if (kept != null) {
            kept.answered(signed);
        }
        return answer;
    }

    /**
     * How long a stopping claimant asks what became of the claim its stop cut: 4 s with a core to
     * spare, longer as the load per core grows, up to 8 s, inside the 10 s a node's stop waits for
     * its slots (the coordinator lets go of the held claim and answers; on a loaded machine that
     * took longer than 4 s, and the claim stayed in the journal for the next start to settle).
     */
    public static final LoadScaledBudget SETTLE_TIMEOUT = new LoadScaledBudget(Duration.ofSeconds(4), Duration.ofSeconds(8));

    /**
     * A claim cut by its caller's interruption (a node's stop, most often while the coordinator held
     * the claim waiting for work): sent again, as signed, briefly, so that its journal entry goes
     * when the answer is known: the coordinator lets go of the held claim and answers the same
     * claim with the unit it leased (recorded as any unit is) or with its nonce used for nothing (a
     * refusal). Kept only when that answer does not come: truly unknown, for the next start.
     *
     * <p>Sent twice when the first gets no answer in half the patience: a stop that cut the claim
     * before the coordinator held it (its bytes not yet there, or its first run not yet done) makes
     * the first copy the one held, for the claim's whole wait (20 s), and the stop ended without its
     * answer, leaving the claim in the journal (a stop right after a result, in CI). The second copy
     * finds the first held, which the coordinator lets go of, and is answered at once.
     */
    private boolean settleCutClaim(SignedEnvelope signed, Recorder recorder, ClaimJournal kept) {
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + SETTLE_TIMEOUT.now().toNanos();
        try {
            for (int copy = 1; copy <= 2; copy++) {
                long left = deadline - System.nanoTime();
                Duration patience = Duration.ofNanos(copy == 1 ? left / 2 : left);
                if (patience.toMillis() <= 0) {
                    return false;
                }
                HttpResponse<byte[]> response;
                try {
                    response = settleCopy(signed, patience);
                } catch (TimeoutException e) {
                    continue;  // held, most likely: the next copy has the coordinator let go of it
                } catch (InterruptedException e) {
                    interrupted = true;
                    return false;  // unknown: the journal keeps it
                }
                return settled(response, signed, recorder, kept);
            }
            return false;
        } catch (IOException | ExecutionException | RuntimeException e) {
            return false;  // not recorded, or not read: the journal keeps it for the next start
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One copy of a cut claim, its answer awaited for {@code patience} at most (then cancelled). */
    private HttpResponse<byte[]> settleCopy(SignedEnvelope signed, Duration patience)
            throws TimeoutException, InterruptedException, ExecutionException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/claim"))
                .timeout(patience)
                .header("Content-Type", PROTOBUF)
                .header("Accept", PROTOBUF)
                .POST(HttpRequest.BodyPublishers.ofByteArray(signed.toByteArray()))
                .build();
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request, BoundedBody.handler(maxAnswerBytes));
        try {
            return exchange.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | InterruptedException | ExecutionException e) {
            exchange.cancel(true);
            throw e;
        }
    }

    /** Whether a copy's answer settles the cut claim (its journal entry gone): a unit recorded, or none leased. */
    private static boolean settled(HttpResponse<byte[]> response, SignedEnvelope signed, Recorder recorder,
            ClaimJournal kept) throws IOException {
        int status = response.statusCode();
        if (status / 100 == 2) {
            ClaimResponse answer = ClaimResponse.parseFrom(response.body());
            if (answer.hasUnit()) {
                recorder.record(answer.getUnit());
            }
            kept.answered(signed);
            return true;
        }
        Error refusal = status == 409 ? coordinatorError(response.body()) : null;
        if (refusal != null && refusal.getCode() == Error.Code.CONFLICT) {
            kept.answered(signed);  // its nonce was used and leased nothing: nothing to send again
            return true;
        }
        return false;
    }

    /**
     * A claim's {@code wait_s} (docs/api.md "Claims that wait") shortened so that its answer still
     * comes within this client's timeout, with room for the claim itself; 0 where none is left.
     */
    private ClaimRequest withinTimeout(ClaimRequest request) {
        long room = Math.max(0, timeout.toSeconds() - CLAIM_ROOM.toSeconds());
        return request.getWaitS() <= room ? request : request.toBuilder().setWaitS((int) room).build();
    }

    /** How long the coordinator may hold this claim before its answer is due. */
    private static Duration held(ClaimRequest request) {
        return Duration.ofSeconds(request.getWaitS());
    }

    private static ClaimRequest signedRequest(SignedEnvelope signed) {
        try {
            return ClaimRequest.parseFrom(signed.getPayload());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a claim signed here does not parse", e);
        }
    }

    /**
     * Keeps each claim in flight in {@code dir} until it is answered, and takes those an earlier
     * process left there unanswered (killed before their answers came) to be sent again, each by one
     * later claim of the same kinds, as {@link UnansweredClaim} does within a process. For a node,
     * whose data directory outlives its process, before its first claim; {@code slots} bounds the
     * claims kept (each slot has one in flight at most).
     */
    public void keepClaimsIn(Path dir, int slots) {
        unanswered.capacity(slots);
        ClaimJournal kept = new ClaimJournal(dir);
        for (ClaimJournal.Unanswered left : kept.takeLeftovers(slots)) {
            unanswered.keep(left.request(), left.signed(), left.writtenMs());
        }
        journal = kept;
    }

    /**
     * {@link #keepClaimsIn} for a process that shares its key and {@code dir} with others of its
     * kind (agents' commands: several may run at once on one data directory): each keeps its
     * claims in files of its own, and takes over those of processes that died with claims
     * unanswered, to send them again. Once per client; a second call changes nothing.
     */
    public synchronized void keepClaimsOfThisProcessIn(Path dir) {
        if (journal != null) {
            return;
        }
        ClaimJournal kept = ClaimJournal.shared(dir);
        for (ClaimJournal.Unanswered left : kept.takeLeftovers(UnansweredClaim.DEFAULT_CAPACITY)) {
            unanswered.keep(left.request(), left.signed(), left.writtenMs());
        }
        journal = kept;
    }

    /**
     * Sends again each kept claim that asks something other than {@code request} (a dead process's,
     * on another direction), and hands each unit they got to {@code settle}: leased to this key, and
     * wanted by no claim here, so the caller gives each back rather than leave it leased until its
     * deadline; a claim whose unit {@code settle} failed on stays in the journal for the next
     * process. A claim that reaches no coordinator stays kept, and this stops there.
     */
    public void resendUnansweredUnlike(ClaimRequest request, Recorder settle) {
        for (Optional<SignedEnvelope> again = unanswered.takeUnlike(request, System.currentTimeMillis());
                again.isPresent(); again = unanswered.takeUnlike(request, System.currentTimeMillis())) {
            try {
                sendClaim(again.get(), settle);
            } catch (CoordinatorException e) {
                if (e.status() == 0) {
                    break;  // kept again by sendClaim; the coordinator is away for the rest too
                }
                // refused: it leased nothing, or its unit is no longer this key's
            } catch (IOException e) {
                // not settled: left in the journal, to the next process of this key
            }
        }
    }

    private static final SecureRandom NONCES = new SecureRandom();

    static com.google.protobuf.ByteString freshNonce() {
        byte[] nonce = new byte[16];
        NONCES.nextBytes(nonce);
        return com.google.protobuf.ByteString.copyFrom(nonce);
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

    /** Every frontier change, in the order decided (one direction's, or every direction's when null). */
    public AdoptionList adoptions(String direction) throws CoordinatorException {
        return getAll("/v1/adoptions", query("direction", direction), AdoptionList.parser());
    }

    /** The confirmations drawn for candidates (one direction's, or every direction's when null), in one answer. */
    public ConfirmationList confirmations(String direction) throws CoordinatorException {
        return get("/v1/confirmations", query("direction", direction), ConfirmationList.parser());
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
        return post(path, body, parser, Duration.ZERO);
    }

    /** A post the coordinator may hold for {@code held} before it answers (a claim that waits). */
    private <T extends Message> T post(String path, SignedEnvelope body, Parser<T> parser, Duration held)
            throws CoordinatorException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(timeout.plus(held))
                .header("Content-Type", PROTOBUF)
                .header("Accept", PROTOBUF)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build();
        return send(request, parser, held);
    }

    private <T extends Message> T get(String path, Map<String, String> query, Parser<T> parser)
            throws CoordinatorException {
        String q = query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(base.resolve(q.isEmpty() ? path : path + "?" + q))
                .timeout(timeout)
                .header("Accept", PROTOBUF)
                .GET()
                .build();
        return read(request, parser);
    }

    /**
     * A read, asked again after each {@code 429} that names a Retry-After, as {@link ReadRetry} bounds
     * it: the coordinator's CPU budget for reads refuses an address that spent it (many pages, a
     * node and a CLI behind one NAT) until it refills. Only reads come here; no write is sent twice.
     */
    private <T extends Message> T read(HttpRequest request, Parser<T> parser) throws CoordinatorException {
        long waited = 0;
        while (true) {
            try {
                return send(request, parser);
            } catch (CoordinatorException e) {
                var wait = ReadRetry.waitSeconds(e.status(), e.retryAfterSeconds(), waited);
                if (wait.isEmpty()) {
                    throw e;
                }
                readWaits.waiting("GET " + request.uri().getPath(), wait.getAsLong(), e.getMessage());
                try {
                    Thread.sleep(wait.getAsLong() * 1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new CoordinatorException("interrupted while waiting to ask " + request.uri() + " again",
                            interrupted);
                }
                waited += wait.getAsLong();
            }
        }
    }


    private <T extends Message> T send(HttpRequest request, Parser<T> parser) throws CoordinatorException {
        return send(request, parser, Duration.ZERO);
    }

    private <T extends Message> T send(HttpRequest request, Parser<T> parser, Duration held) throws CoordinatorException {
        HttpResponse<byte[]> response;
        // The request's own timeout ends with the answer's headers; the body gets a deadline too,
        // or a server trickling a byte a second would hold the caller (a node's work loop) forever.
        CompletableFuture<HttpResponse<byte[]>> exchange =
                http.sendAsync(request, BoundedBody.handler(maxAnswerBytes));
        try {
            response = await(exchange, request, held);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw unreachable(new CoordinatorException("coordinator at " + base + " did not send a whole answer to "
                    + request.method() + " " + request.uri().getPath() + " within "
                    + (2 * timeout.toSeconds() + held.toSeconds()) + " s", e));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BoundedBody.TooLarge tooLarge) {
                throw new CoordinatorException(200, Error.Code.INTERNAL, "the answer from " + request.uri()
                        + " was refused: " + tooLarge.getMessage() + " (not a rhizome coordinator, or a hostile one)");
            }
            IOException io = cause instanceof IOException x ? x : new IOException(cause);
            throw unreachable(new CoordinatorException("coordinator at " + base + " is unreachable: " + describe(io), io));
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while calling " + request.uri(), e);
        }
        try {
            if (response.statusCode() / 100 != 2) {
                Error error = coordinatorError(response.body());
                if (error == null) {
                    // status 0: as for an unreachable coordinator, the caller may retry (a
                    // proxy's 502) and the CLI says to check --coordinator
                    throw unreachable(new CoordinatorException(notACoordinator(base, request.method(),
                            request.uri().getPath(), response.statusCode()), null));
                }
                reachability.answered();
                if (error.getCode() == Error.Code.WRONG_NETWORK) {
                    network = null;  // read it again for the next record: the store may have been replaced
                    askAgain = true;  // from the coordinator, not the file: checked against what is kept
                    if (known != null) {
                        // asked now, so that a coordinator now serving another network than the one
                        // kept is said as such (what to do included), not as a refused record
                        networkAsAnswered();
                    }
                }
                // The coordinator's reason first: it is what the reader acts on; the route and status
                // after it are for whoever reads the coordinator's log beside it.
                throw new CoordinatorException(response.statusCode(), error.getCode(),
                        error.getMessage() + " (refused by the coordinator: " + request.method() + " "
                                + request.uri().getPath() + ", " + response.statusCode() + " " + error.getCode() + ")",
                        ReadRetry.retryAfter(response.headers().firstValue("Retry-After").orElse(null)).orElse(0));
            }
            reachability.answered();
            return parser.parseFrom(response.body());
        } catch (InvalidProtocolBufferException e) {
            throw new CoordinatorException(response.statusCode(), Error.Code.INTERNAL,
                    "unreadable answer from " + request.uri() + " (HTTP " + response.statusCode() + ")");
        }
    }

    /** The whole answer within twice the timeout; the watcher hears of a call still waiting after {@link #SLOW_CALL}. */
    private HttpResponse<byte[]> await(CompletableFuture<HttpResponse<byte[]>> exchange,
            HttpRequest request, Duration held) throws TimeoutException, ExecutionException,
            InterruptedException {
        // A claim the coordinator holds while it waits for work is not slow for that long.
        long limitMs = 2 * timeout.toMillis() + held.toMillis();
        long slowMs = SLOW_CALL.toMillis() + held.toMillis();
        if (limitMs <= slowMs) {
            return exchange.get(limitMs, TimeUnit.MILLISECONDS);
        }
        try {
            return exchange.get(slowMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException stillWaiting) {
            reachability.slow(request.method() + " " + request.uri().getPath(), SLOW_CALL);
            return exchange.get(limitMs - slowMs, TimeUnit.MILLISECONDS);
        }
    }

    private CoordinatorException unreachable(CoordinatorException e) {
        reachability.unreachable(e.getMessage());
        return e;
    }
}
