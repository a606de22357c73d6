package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.coordinator.store.DatabaseTime;
import dev.rhizome.coordinator.store.StoreException;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.WarnBudget;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's requests: copies each off the event loop, runs its route on a worker (signature
 * checks and database commits block), and sends the replies back in the order the requests came
 * (HTTP/1.1 pipelining), whichever worker finishes first. A connection with too many requests in
 * progress is not read further until replies have gone out. Every refusal becomes an Error body and
 * one WARN line with request values escaped; anything unexpected is a 500.
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /**
     * A client decides how many refusals and broken connections it causes: one WARN line each let a
     * hostile client write the coordinator's log as fast as it could send. Every refusal is still
     * counted in /metrics (rhizome_refusals_total, by route and reason), whatever its line's level.
     */
    private static final WarnBudget REFUSALS = new WarnBudget(LOG);
    private static final WarnBudget BROKEN = new WarnBudget(LOG);
    /**
     * Failures of the coordinator's own code, each answered with a 500 naming an incident: a client
     * that found a request setting one off could send it in a loop, each line a stack trace.
     */
    private static final WarnBudget INCIDENTS_LOGGED = new WarnBudget(LOG);
    /** The route label of a refusal made before a request's target was read, or of no request at all. */
    static final String UNROUTED = "unrouted";
    /** Names each 500 at random, so that an answer can be matched to its log line. */
    private static final SplittableRandom INCIDENTS = new SplittableRandom();

    private final Router router;
    private final FairWorkers workers;
    private final int maxPipelined;
    private final int maxRequests;
    private final RequestDeadline deadline;
    private final CoordinatorMetrics metrics;
    private final ByteShares replies;
    private final TrustedProxies proxies;
    /** Each address's and network's CPU spent on reads, and the 429 once it is spent (ReadWork). */
    private final ReadWork reads;
    private final ReplyOrder<Outgoing> order = new ReplyOrder<>();
    /** Set once a reply that closes the connection is queued: later requests are not answered. */
    private boolean closing;
    /** Requests read and not yet handed to a worker, in arrival order (see {@link #dispatch}). */
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    /**
     * This connection's answers still to come, each with how to hurry it (event loop only):
     * cancelled if the connection closes first, hurried if the client shuts its side.
     */
    private final Map<CompletableFuture<Reply>, Runnable> pending = new HashMap<>();
    /** This connection's requests on workers now, and whether one of them is a read. */
    private int running;
    private boolean readRunning;
    /** The client shut its side down: nothing more will arrive (see {@link #closeIfDone}). */
    private boolean inputClosed;
    /** Connections holding unread replies, this one among them while {@link #unwritten} is above 0. */
    private final ReplyHolders holders;
    private ReplyHolders.Holder holder;
    /** Replies written to the channel and not yet taken by the socket. */
    private int unwritten;
    /** This handler's place in its connection's pipeline, for refusals made before it ({@link #refuseInPlace}). */
    private ChannelHandlerContext self;
    /** The last reply closes the connection lingering: its client may still be sending a body. */
    private boolean lingering;
    /** A handler before this one failed between requests: the connection closes once those read are answered. */
    private boolean closeWhenAnswered;
    /** A "100 Continue" waiting for the replies owed before its request to go ({@link #continueInPlace}). */
    private FullHttpResponse heldContinue;

    /**
     * @param client the address the request is counted against (its worker share, its daily writes)
     * @param condition its If-Match, null for none: a read's is judged on its answer ({@link Preconditions})
     */
    private record Waiting(long seq, ApiRequest request, boolean keepAlive, boolean protobuf, long start,
            InetAddress client, boolean http10, String condition) {
    }

    /**
     * A reply and how to send it. {@code head}: the answer to a HEAD, sent without its body, refusals
     * too (a refusal's body after a HEAD's headers was read by the client as the next response).
     * {@code client}: whose share of the reply budget it is counted in until taken; null for the
     * connection's own address (a refusal made before the request named its client). {@code http10}:
     * the request was HTTP/1.0, whose client keeps a connection only when told so in words.
     * {@code readRoute}: the route label of a read whose encoding's CPU is charged to {@code client}
     * ({@link ReadWork}), null for none. {@code retryAfter}: seconds for a Retry-After header, 0 for none.
     */
    private record Outgoing(Reply reply, boolean keepAlive, boolean protobuf, boolean head, String client,
            boolean http10, String readRoute, long retryAfter) {
        Outgoing(Reply reply, boolean keepAlive, boolean protobuf, boolean head) {
            this(reply, keepAlive, protobuf, head, null, false);
        }

        Outgoing(Reply reply, boolean keepAlive, boolean protobuf, boolean head, String client, boolean http10) {
            this(reply, keepAlive, protobuf, head, client, http10, null, 0);
        }
    }

    ApiHandler(Router router, FairWorkers workers, int maxPipelined, RequestDeadline deadline,
            CoordinatorMetrics metrics, ByteShares replies) {
        this(router, workers, maxPipelined, deadline, metrics, replies, TrustedProxies.NONE, ReadWork.defaults(),
                new ReplyHolders(TimeUnit.SECONDS.toNanos(1)), CoordinatorLimits.DEFAULT_REQUESTS_PER_CONNECTION);
    }

    /** @param maxRequests requests the connection is answered; the last reply closes it */
    ApiHandler(Router router, FairWorkers workers, int maxPipelined, RequestDeadline deadline,
            CoordinatorMetrics metrics, ByteShares replies, TrustedProxies proxies, ReadWork reads,
            ReplyHolders holders, int maxRequests) {
        this.maxRequests = maxRequests;
        this.holders = holders;
        this.proxies = proxies;
        this.reads = reads;
        this.replies = replies;
        this.router = router;
        this.workers = workers;
        this.maxPipelined = maxPipelined;
        this.deadline = deadline;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        self = ctx;
        // Its client may be waiting on us, not sending: replies it is owed, a 100 held behind them,
        // replies not yet taken by the socket (a client that reads before it writes on).
        deadline.pausedWhile(() -> order.outstanding() > 0 || heldContinue != null || unwritten > 0
                || !ctx.channel().isWritable());
    }

    /** The connection will close for {@code reason} once what it is owed is answered (ConnectionCloses). */
    private void closeFor(String reason) {
        closing = true;
        ConnectionCloses.because(self.channel(), reason);
    }

    /**
     * Answers a request refused before it reached this handler, whose body is cut short (too large
     * for the limit or for its client's share of the body budget), in its place among the
     * connection's replies, after those of the requests before it; then the connection closes,
     * lingering when {@code linger} (the client may still be sending its body: OversizedBodies).
     * Written at once, as they were, such a refusal was read by a client that had pipelined
     * requests before it as the answer to the first of them still in progress.
     */
    void refuseInPlace(HttpError refusal, boolean head, boolean protobuf, boolean linger) {
        refuseInPlace(null, refusal, head, protobuf, linger);
    }

    /** As {@link #refuseInPlace(HttpError, boolean, boolean, boolean)}, counted under {@code path}'s route (null: none read). */
    void refuseInPlace(String path, HttpError refusal, boolean head, boolean protobuf, boolean linger) {
        String route = path == null ? UNROUTED : router.label(path);
        if (closing) {
            if (order.outstanding() == 0) {
                self.close();  // nothing more is answered here, and nothing is owed
            }
            return;
        }
        closeFor(ConnectionCloses.REFUSED);
        lingering = linger;
        deadline.requestReceived();
        send(self, order.arrive(), new Outgoing(refuse(route, String.valueOf(self.channel().remoteAddress()), refusal),
                false, protobuf, head));
    }

    /**
     * Sends the "100 Continue" for the request whose head just came in its place: at once when every
     * request before it is answered, else right after the last of their replies. Written at once, a
     * client that had pipelined requests before it read the 100 as the interim answer to the first
     * of them, and went on waiting for its own. Dropped if the body comes first (RFC 9110 10.1.1
     * lets a server omit it then) or the connection is closing (nothing more is answered).
     *
     * @return whether it is held (or dropped) here: the caller writes nothing
     */
    boolean continueInPlace(FullHttpResponse hundred) {
        if (order.outstanding() == 0 && !closing) {
            return false;
        }
        dropHeldContinue();
        if (closing) {
            hundred.release();
        } else {
            heldContinue = hundred;
        }
        return true;
    }

    private void dropHeldContinue() {
        if (heldContinue != null) {
            heldContinue.release();
            heldContinue = null;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        deadline.requestReceived();
        dropHeldContinue();  // its body came without it
        if (closing) {
            return;  // the client asked to close, or was told we would; what it sent after is dropped
        }
        long seq = order.arrive();
        boolean head = HttpMethod.HEAD.equals(msg.method());
        try {
            accept(ctx, msg, seq, head);
        } catch (RuntimeException | java.lang.Error e) {
            // A failure of the checks below, not of the request: it is answered in its place (it
            // threw before handing the request on), and the connection closes after it, for what
            // follows was to be judged by the code that failed. It used to escape to
            // exceptionCaught, which closed the connection with no answer.
            closeFor(ConnectionCloses.PIPELINE_FAILURE);
            waiting.removeIf(w -> w.seq() == seq);
            send(ctx, seq, new Outgoing(incident("a request from " + ctx.channel().remoteAddress(), e), false, false,
                    head));
        }
    }

    /** Judges a whole request as it came: answers it at once (refused), or queues it for a worker. */
    private void accept(ChannelHandlerContext ctx, FullHttpRequest msg, long seq, boolean head) {
        // The last request a connection is answered: its reply closes it (the client opens another).
        boolean asksToKeep = HttpUtil.isKeepAlive(msg);
        boolean keepAlive = asksToKeep && seq + 1 < maxRequests;
        boolean protobuf = BodyFormat.prefersProtobuf(msg.headers());
        if (!keepAlive) {
            if (asksToKeep) {
                closeFor(ConnectionCloses.REQUEST_BUDGET);
            }
            closing = true;
        }
        if (order.outstanding() >= maxPipelined) {
            ctx.channel().config().setAutoRead(false);  // back-pressure: read on once replies went out
        }
        if (order.outstanding() > MessageRules.MAX_PIPELINED_AHEAD) {
            // One read of tiny pipelined requests (64 KB of them: thousands) is decoded whole, however
            // few are handled at once. Past the cap the rest are not kept: the ones before are
            // answered, in order, then this refusal, then the connection closes. Netty's codec used to
            // close it after the next reply instead, the requests it had read dropped unanswered.
            closeFor(ConnectionCloses.REFUSED);
            send(ctx, seq, new Outgoing(refuseUnrouted(new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    Error.Code.UNAVAILABLE, "more than " + MessageRules.MAX_PIPELINED_AHEAD + " requests were sent on "
                            + "this connection ahead of their replies; those before this answer were answered, the rest "
                            + "were not read: read replies before sending more, and resend the rest on a new connection")),
                    false, protobuf, head));
            return;
        }
        if (!msg.decoderResult().isSuccess()) {
            closeFor(ConnectionCloses.REFUSED);
            // a head refused before its body (RequestDecoder): the client may still be sending it
            lingering = OversizedBodies.lingers(ctx.pipeline());
            send(ctx, seq, new Outgoing(refuseUnrouted(MessageRules.undecodable(msg)), false, protobuf, head));
            return;
        }
        if (msg.protocolVersion().majorVersion() != 1) {
            closeFor(ConnectionCloses.REFUSED);
            send(ctx, seq, new Outgoing(refuseUnrouted(new HttpError(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    Error.Code.BAD_REQUEST, "HTTP version " + msg.protocolVersion().text()
                            + " is not supported; speak HTTP/1.1")), false, protobuf, head));
            return;
        }
        HttpError framing = MessageRules.check(msg);
        if (framing != null) {
            // The message was read, but its framing or headers are not what HTTP/1.1 allows: what
            // follows it on the connection cannot be trusted to be read the same way by everyone.
            closeFor(ConnectionCloses.REFUSED);
            send(ctx, seq, new Outgoing(refuseUnrouted(framing), false, protobuf, head));
            return;
        }
        ApiRequest request;
        // A listed proxy's forwarding header names the client; anyone else's is ignored (TrustedProxies).
        InetAddress client = proxies.client(remoteAddress(ctx), msg.headers().getAll(proxies.header()));
        try {
            request = RequestTarget.parse(msg.method().name(), msg.uri(),
                    msg.headers().get(HttpHeaderNames.CONTENT_TYPE), ByteBufUtil.getBytes(msg.content()))
                    .from(AddressScope.of(client));
        } catch (HttpError e) {
            // The target could not be read (bad percent-encoding, not UTF-8): answered like any
            // other bad request, where an exception here used to close the connection unanswered.
            closeFor(ConnectionCloses.REFUSED);
            send(ctx, seq, new Outgoing(refuseUnrouted(e), false, protobuf, head));
            return;
        }
        HttpError unmet = Preconditions.beforeContent(router, request, msg.headers());
        if (unmet != null) {
            // a condition no answer here can meet: nothing is run (the framing is sound: kept open)
            send(ctx, seq, new Outgoing(refuse(request, unmet), keepAlive, protobuf, head));
            return;
        }
        waiting.add(new Waiting(seq, request, keepAlive, protobuf, System.nanoTime(), client,
                !msg.protocolVersion().isKeepAliveDefault(), Preconditions.condition(msg.headers())));
        dispatch(ctx);  // it never throws: the request is on its way, or answered in its place
    }

    /**
     * Hands this connection's waiting requests to the workers, in order, while its replies are being
     * read: nothing is dispatched while the channel is unwritable (replies wait unsent beyond Netty's
     * high-water mark), and a read (GET or HEAD, whose reply may be a page of 4 MiB, or 5.5 MB as
     * JSON) runs alone. Without this a client that pipelined 16 large reads and never read a byte
     * had all 16 built and queued: six such connections held 541 MB of the server's direct memory,
     * and one address may open 64. Writes (POST: a small Ack or claim answer) still run up to the
     * pipelining limit at once.
     */
    private void dispatch(ChannelHandlerContext ctx) {
        while (!waiting.isEmpty()) {
            Waiting next = waiting.peek();
            boolean read = isRead(next.request().method());
            if (!ctx.channel().isWritable() || readRunning || (read && running > 0)) {
                return;  // resumed when a reply went out or the channel drained
            }
            waiting.poll();
            ApiRequest request = next.request();
            boolean head = request.method().equals("HEAD");
            String client = AddressScope.of(next.client());
            ReadWork.Refusal spent;
            ByteShares.Bound full;
            // A probe (/healthz: a few bytes, asked by load balancers) is never refused for what its
            // address spent or holds: a NAT neighbour's browsing or non-reading made it 503.
            boolean limited = read && !router.isProbe(request.path());
            try {
                spent = limited ? reads.refusal(client) : null;
                full = limited && spent == null ? replies.full(client) : null;
                if (full != null && unwritten == 0) {
                    // This connection holds nothing: the share is full of others' unread replies. The
                    // one that held them longest (past the grace) is let go, and this one is served.
                    ReplyHolders.Holder longest = holders.longestHeld(client, full, System.nanoTime());
                    if (longest != null) {
                        longest.letGo();
                        full = null;
                    }
                }
            } catch (RuntimeException | java.lang.Error e) {
                closeFor(ConnectionCloses.PIPELINE_FAILURE);  // as for a refusal below: answered in its place, what still waits is dropped
                waiting.clear();
                send(ctx, next.seq(), new Outgoing(incident(describe(request), e), false, next.protobuf(), head, client,
                        false));
                return;
            }
            if (spent != null) {
                // Over its budget of CPU for reads: told when to come back; nothing runs. The
                // connection stays (its framing is sound), and what it pipelined behind is judged the same.
                send(ctx, next.seq(), new Outgoing(refuse(request, new HttpError(HttpResponseStatus.TOO_MANY_REQUESTS,
                        Error.Code.LIMIT_REACHED, spent.message())), next.keepAlive(), next.protobuf(), head, client,
                        next.http10(), null, spent.retryAfterSeconds()));
                continue;
            }
            if (full != null) {
                closeFor(ConnectionCloses.REFUSED);  // like every 503: the connection closes after it; what still waits is dropped
                waiting.clear();
                send(ctx, next.seq(), new Outgoing(refuse(request, new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        Error.Code.UNAVAILABLE, replies.refusal(full))), false, next.protobuf(), head, client, false, null,
                        1));
                return;
            }
            running++;
            readRunning = read;
            try {
                // Each remote address has its own share of the workers and the queue (FairWorkers).
                workers.execute(next.client(), () -> run(ctx, next, request, read, head, client));
            } catch (RejectedExecutionException e) {
                running--;
                readRunning = false;
                closeFor(ConnectionCloses.REFUSED);  // the connection closes after this answer; what still waits is dropped
                waiting.clear();
                send(ctx, next.seq(), new Outgoing(refuse(request, new HttpError(
                        HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE,
                        "coordinator is overloaded; retry later")), false, next.protobuf(), head, client, false));
                return;
            }
        }
    }

    /**
     * On a worker: runs the request's route and answers it, whatever fails. A failure outside the
     * route (its answer's checks, the accounting) used to end the task: FairWorkers logged it, the
     * request was never answered, and its connection, busy with it, was never idled out.
     */
    private void run(ChannelHandlerContext ctx, Waiting next, ApiRequest request, boolean read, boolean head,
            String client) {
        boolean handedOn = false;
        try {
            long cpuStart = CpuClock.now();
            long databaseStart = DatabaseTime.waited();
            Reply answer = handle(request);
            HttpError unmet = read ? Preconditions.onAnswer(next.condition(), answer) : null;
            Reply reply = unmet == null ? answer : refuse(request, unmet);
            spentOn(request, read ? client : null, CpuClock.now() - cpuStart, DatabaseTime.waited() - databaseStart);
            // A held claim's wait is not the coordinator's latency: timed up to its hold.
            long nanos = System.nanoTime() - next.start();
            if (reply.pending() == null) {
                handedOn = true;
                answered(ctx, next, request, head, client, reply, nanos);
                return;
            }
            // Answered later (a claim that waits): the worker is free meanwhile; the
            // connection stays busy (not idled out) until the answer is sent.
            CompletableFuture<Reply> later = reply.pending();
            Runnable hurry = reply.hurry() != null ? reply.hurry() : () -> { };
            handedOn = true;
            ctx.executor().execute(() -> {
                pending.put(later, hurry);
                if (inputClosed) {
                    hurry.run();  // the client shut its side while this ran
                }
            });
            later.whenComplete((done, failure) -> {
                ctx.executor().execute(() -> pending.remove(later));
                if (!later.isCancelled()) {
                    answered(ctx, next, request, head, client,
                            failure == null ? done : failed(request, failure), nanos);
                }
            });
        } catch (RuntimeException | java.lang.Error e) {
            if (!handedOn) {
                answered(ctx, next, request, head, client, failed(request, e), System.nanoTime() - next.start());
            } else {
                throw e;
            }
        }
    }

    /** Sends a worker's reply back on the event loop, in its place, and hands the next request on. */
    private void answered(ChannelHandlerContext ctx, Waiting next, ApiRequest request, boolean head, String client,
            Reply reply, long nanos) {
        // A route that answered nothing (null, now or later) is a failure of the route: a 500, not
        // an exception on the event loop that left the request unanswered.
        Reply shown = reply != null ? reply
                : failed(request, new IllegalStateException("the route answered null"));
        // Counted before the answer is handed to the event loop: a client that has its answer
        // must find the request in /metrics (counted after, a scrape raced it and missed it).
        metrics.request(router.methodLabel(request.method()), router.label(request.path()),
                shown.status().code(), nanos);
        try {
            ctx.executor().execute(() -> {
                running--;
                readRunning = false;
                send(ctx, next.seq(), new Outgoing(shown, next.keepAlive(), next.protobuf(), head, client,
                        next.http10(), isRead(request.method()) ? router.label(request.path()) : null, 0));
                dispatch(ctx);
            });
        } catch (RejectedExecutionException e) {
            // the event loop stopped (the server is closing): nobody will read it
            undelivered(new Outgoing(shown, false, false, head));
        }
    }

    /** The connection closed: answers still to come are not wanted (a held claim lets go). */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (CompletableFuture<Reply> later : List.copyOf(pending.keySet())) {
            later.cancel(false);
        }
        pending.clear();
        if (holder != null) {
            holders.taken(holder);
        }
        order.drop().forEach(ApiHandler::undelivered);
        dropHeldContinue();
        super.channelInactive(ctx);
    }

    /**
     * Counts CPU a request's handling took: in {@code rhizome_http_cpu_seconds_total} by route, and,
     * for a read, against its client's budget ({@code client} null for a write: writes have their
     * own daily limits, and a node's result must not wait on its owner's browsing). A read is
     * charged the time PostgreSQL spent answering its views too ({@code databaseNanos}): a query
     * the database works hard on costs the coordinator's thread little CPU while it waits
     * ({@code rhizome_http_database_seconds_total} by route, for a write too).
     */
    private void spentOn(ApiRequest request, String client, long cpuNanos, long databaseNanos) {
        metrics.cpu(router.label(request.path()), cpuNanos);
        if (databaseNanos > 0) {
            metrics.databaseTime(router.label(request.path()), databaseNanos);
        }
        if (client != null) {
            reads.spent(client, cpuNanos + Math.max(0, databaseNanos));
        }
    }

    private static boolean isRead(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private static InetAddress remoteAddress(ChannelHandlerContext ctx) {
        return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    }

    private Reply handle(ApiRequest request) {
        try {
            Reply reply = router.route(request.method(), request.path()).handle(request);
            if (reply == null) {
                throw new IllegalStateException("the route answered null");
            }
            return reply;
        } catch (RuntimeException | java.lang.Error e) {
            return failed(request, e);
        }
    }

    /** The answer to a request whose route failed, now or later: a refusal, a 503, or a 500 with an incident. */
    private Reply failed(ApiRequest request, Throwable thrown) {
        Throwable e = thrown instanceof java.util.concurrent.CompletionException && thrown.getCause() != null
                ? thrown.getCause() : thrown;
        if (e instanceof HttpError http) {
            return refuse(request, http);
        }
        if (e instanceof Rejection rejection) {
            return refuse(request, HttpError.from(rejection));
        }
        if (StoreException.isDiskFull(e)) {
            // Nothing was stored and the request was not at fault: a node keeps its result and
            // sends it again, as for any 503. The store has told the operator which file.
            return refuse(request, new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE,
                    "the coordinator's disk is full: nothing was stored; send it again later"));
        }
        if (StoreException.isUnavailable(e)) {
            // The database is stopped, killed or restarting: the store has told the operator
            // (once), and takes work again by itself when it is back.
            return refuse(request, new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE,
                    "the coordinator's database is unavailable; send it again later"));
        }
        // An Error (a stack overflow, out of memory) is answered too: left to the worker, it
        // left the request unanswered and its connection held for good (nothing idles out while
        // a request is in progress).
        return incident(describe(request), e);
    }

    /**
     * The answer to a failure of the coordinator's own code: a 500 naming an incident. The
     * exception's message is for the operator: it can name tables, SQL, file paths or library
     * internals. The client gets a number to quote, which the log line carries (within
     * {@link #INCIDENTS_LOGGED}; past it the line is at DEBUG).
     */
    private static Reply incident(String what, Throwable e) {
        String incident = String.format("%08x", incidentNumber());
        INCIDENTS_LOGGED.errorAbout("{} failed (incident {})", what, incident, e);
        return Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, Error.newBuilder()
                .setCode(Error.Code.INTERNAL).setMessage("internal error (incident " + incident
                        + "); the coordinator's log has the details").build());
    }

    private static synchronized int incidentNumber() {
        return INCIDENTS.nextInt();
    }

    private Reply refuse(ApiRequest request, HttpError e) {
        return refuse(router.label(request.path()), describe(request), e);
    }

    /** A refusal of a request whose route was not read (its head or framing is at fault), counted as such. */
    private Reply refuseUnrouted(HttpError e) {
        return refuse(UNROUTED, "?", e);
    }

    /**
     * Every refusal this handler sends is counted in {@code rhizome_refusals_total} by route and
     * reason, those made before a route was read too (under {@link #UNROUTED}): an operator sees a
     * client sending malformed heads, smuggling attempts or slow requests, not only bad bodies.
     */
    private Reply refuse(String route, String request, HttpError e) {
        metrics.refused(route, e.toError().getCode().name());
        return refuse(request, e);
    }

    /** Logs a refusal once, with everything that came from the request escaped and capped. */
    static Reply refuse(String request, HttpError e) {
        REFUSALS.warn("{} refused with {}: {}", request, e.status().code(), LogSafe.of(e.getMessage()));
        Reply reply = Reply.error(e.status(), e.toError());
        return e.allow() == null ? reply : reply.withAllow(e.allow());
    }

    private static String describe(ApiRequest request) {
        return LogSafe.of(request.method() + " " + request.path());
    }

    /** On the event loop: queues a finished reply and writes every reply now due, in request order. */
    private void send(ChannelHandlerContext ctx, long seq, Outgoing outgoing) {
        if (!ctx.channel().isActive()) {
            undelivered(outgoing);  // nobody reads it, nor what would follow it
            return;
        }
        var ready = order.finish(seq, outgoing);
        for (int i = 0; i < ready.size(); i++) {
            Outgoing o = ready.get(i);
            if (!ctx.channel().isActive()) {
                ready.subList(i, ready.size()).forEach(ApiHandler::undelivered);
                return;
            }
            FullHttpResponse response;
            try {
                response = response(ctx, o);
            } catch (RuntimeException | java.lang.Error e) {
                // The reply could not be made into a response (a message that does not encode, a
                // header value HTTP forbids): a 500 goes in its place. It used to throw here, on
                // the event loop, and the request stayed unanswered, the connection held for it.
                response = response(ctx, new Outgoing(incident("the reply to a request from "
                        + ctx.channel().remoteAddress(), e), o.keepAlive(), o.protobuf(), o.head(), o.client(),
                        o.http10()));
            }
            long bytes = response.content().readableBytes();
            String client = o.client() != null ? o.client() : AddressScope.of(remoteAddress(ctx));
            replies.add(client, bytes);
            if (unwritten++ == 0) {
                holders.holding(holder(ctx), client, System.nanoTime());
            }
            var written = ctx.write(response);
            written.addListener(f -> {
                replies.release(client, bytes);  // sent, or the connection went
                if (--unwritten == 0) {
                    holders.taken(holder);
                }
                if (!f.isSuccess()) {
                    undelivered(o);
                    if (ctx.channel().isActive()) {
                        // Not written, the connection still open: the replies after it would be
                        // read as the answers to the wrong requests.
                        BROKEN.warn("closing connection from {}: a reply could not be written: {}",
                                ctx.channel().remoteAddress(), LogSafe.of(String.valueOf(f.cause())));
                        ConnectionCloses.because(ctx.channel(), ConnectionCloses.REPLY_UNWRITABLE);
                        ctx.channel().close();
                    }
                }
            });
            if (!o.keepAlive()) {
                ctx.flush();
                if (lingering) {
                    written.addListener(f -> OversizedBodies.lingerThenClose(ctx.channel(), f.isSuccess()));
                } else {
                    written.addListener(ChannelFutureListener.CLOSE);
                }
                ready.subList(i + 1, ready.size()).forEach(ApiHandler::undelivered);  // the connection closes first
                return;
            }
        }
        if (heldContinue != null && order.outstanding() == 0) {
            ctx.write(heldContinue);  // every reply owed before its request has gone
            heldContinue = null;
        }
        if (!ready.isEmpty()) {
            ctx.flush();
        }
        closeIfDone(ctx);
        resumeReadingIfDue(ctx);
    }

    /** This connection as a holder of replies: let go by closing it, when a neighbour needs the room. */
    private ReplyHolders.Holder holder(ChannelHandlerContext ctx) {
        if (holder == null) {
            holder = () -> {
                BROKEN.warn("closing connection from {}: its client had not read its replies, the longest held, "
                        + "and a neighbour needed the room", ctx.channel().remoteAddress());
                ConnectionCloses.because(ctx.channel(), ConnectionCloses.REPLY_HOLDERS);
                ctx.channel().close();
            };
        }
        return holder;
    }

    /** The response for a reply, as its request asked for it. */
    private FullHttpResponse response(ChannelHandlerContext ctx, Outgoing o) {
        long cpuStart = CpuClock.now();
        FullHttpResponse response = Responses.of(ctx.alloc(), o.reply(), o.protobuf());
        try {
            if (o.readRoute() != null) {
                // A large page is encoded here, on the event loop: its cost is the read's too.
                long nanos = CpuClock.now() - cpuStart;
                metrics.cpu(o.readRoute(), nanos);
                reads.spent(o.client(), nanos);
            }
            if (o.retryAfter() > 0) {
                response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(o.retryAfter()));
            }
            if (o.head()) {
                response.content().clear();  // Content-Length stays that of the GET
            }
            HttpUtil.setKeepAlive(response, o.keepAlive());
            if (o.keepAlive() && o.http10()) {
                // Answered as HTTP/1.1, whose connections persist unless told otherwise; an HTTP/1.0
                // client that asked to keep its connection takes a reply without "keep-alive" as
                // the end of it (RFC 9112, 9.3): it opened a new one per request while each one
                // left behind stayed open here, under its address's cap, until the idle timeout.
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            return response;
        } catch (RuntimeException | java.lang.Error e) {
            response.release();
            throw e;
        }
    }

    /**
     * A reply that never reached its client (its connection went before or while it was written):
     * what it asked to undo runs off the event loop (a store write).
     */
    private static void undelivered(Outgoing outgoing) {
        Runnable undo = outgoing.reply().undelivered();
        if (undo != null) {
            ForkJoinPool.commonPool().execute(() -> {
                try {
                    undo.run();
                } catch (RuntimeException e) {
                    LOG.warn("undoing an answer that reached nobody failed: {}", e.toString());
                }
            });
        }
    }

    /** After a half-close, the connection closes once every request read before it is answered. */
    private void closeIfDone(ChannelHandlerContext ctx) {
        if ((inputClosed || closeWhenAnswered) && order.outstanding() == 0 && ctx.channel().isActive()) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Reading stops while too many requests are unanswered, and also while replies already
     * answered have not left: a client that pipelines requests for large replies and never reads
     * them would otherwise make the server buffer every reply (Netty queues writes without limit).
     */
    private void resumeReadingIfDue(ChannelHandlerContext ctx) {
        boolean due = !closing && order.outstanding() < maxPipelined && ctx.channel().isWritable();
        if (due != ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(due);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        resumeReadingIfDue(ctx);
        dispatch(ctx);
        super.channelWritabilityChanged(ctx);
    }

    /** A connection idle for the idle timeout is closed, unless one of its requests is being handled. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The client half-closed (it sent its requests, then FIN): it still reads, so what it
            // asked is answered, then the connection closes. It used to close at once, unanswered.
            inputClosed = true;
            // A held claim is answered now (nothing came), not at its wait's end: a client that
            // closed whole (the usual FIN) is told apart from one still reading only by a write,
            // and meanwhile its claim could be leased a unit for nobody, its place under the caps held.
            List.copyOf(pending.values()).forEach(Runnable::run);
            boolean cutShort = deadline.inProgress() && !closing;
            closing = true;
            if (cutShort) {
                // Part of a request came (its headers, some of its body): the codec says nothing of a
                // body cut short, and the connection used to close unanswered. It is answered in its
                // place in the order, like a request whose headers were cut short.
                boolean head = deadline.mayBeHead();
                deadline.requestReceived();
                send(ctx, order.arrive(), new Outgoing(refuseUnrouted(new HttpError(HttpResponseStatus.BAD_REQUEST,
                        Error.Code.BAD_REQUEST, "request cut short: the client shut its side of the connection "
                                + "down before the whole request (headers and body) arrived")), false, false, head));
                return;
            }
            closeIfDone(ctx);
            return;
        }
        if (evt instanceof RequestDeadline.Expired expired) {
            ConnectionCloses.because(ctx.channel(), expired.reason());
            if (closing) {
                // it closes after the replies it is owed; the request cut off is dropped with the rest
                if (order.outstanding() == 0) {
                    ctx.close();
                }
                return;
            }
            closing = true;
            send(ctx, order.arrive(), new Outgoing(refuse(UNROUTED, String.valueOf(ctx.channel().remoteAddress()),
                    new HttpError(HttpResponseStatus.REQUEST_TIMEOUT, Error.Code.TIMEOUT, expired.message())),
                    false, false, expired.mayBeHead()));
            return;
        }
        // Nothing on a worker: requests still waiting wait on the client reading its replies (the
        // channel is unwritable), and a client that reads nothing for the idle timeout is gone.
        if (evt instanceof IdleStateEvent && running == 0) {
            ConnectionCloses.because(ctx.channel(), ConnectionCloses.IDLE);
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.PrematureChannelClosureException && inputClosed) {
            ctx.close();  // the partial request was already answered (userEventTriggered)
            return;
        }
        if (!(cause instanceof java.io.IOException)) {
            // A client's reset is its own close, counted by none; anything else is a handler failing.
            ConnectionCloses.because(ctx.channel(), ConnectionCloses.PIPELINE_FAILURE);
        }
        if (!(cause instanceof java.io.IOException) && ctx.channel().isActive() && !closing) {
            closing = true;  // what the pipeline that failed would read next is not read
            if (deadline.inProgress()) {
                // A handler before this one failed on a request in progress: it is answered in its
                // place, after those before it, and the connection closes (its framing is in doubt).
                // It used to close at once with no answer, the requests before it dropped too.
                boolean head = deadline.mayBeHead();
                deadline.requestReceived();
                send(ctx, order.arrive(), new Outgoing(incident("a request from " + ctx.channel().remoteAddress(),
                        cause), false, false, head));
                return;
            }
            if (order.outstanding() > 0) {
                closeWhenAnswered = true;  // nothing of a next request came: those before are answered, then it closes
                ctx.channel().config().setAutoRead(false);
                return;
            }
        }
        BROKEN.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), LogSafe.of(cause.toString()));
        ctx.close();
    }
}
