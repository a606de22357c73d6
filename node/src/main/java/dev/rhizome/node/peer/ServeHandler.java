package dev.rhizome.node.peer;

import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import com.google.protobuf.ByteString;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty adapter of {@link ServeSession}: answers hellos, builds bundles off the event loop (JGit
 * and disk are blocking) and streams them back with {@link ChunkStreamer}. A peer that breaks the
 * protocol is told why and disconnected; the server itself carries on. An upload that
 * {@link UploadSlots} ends early for another peer's stops where it is and is answered BUSY. A request
 * the bounded {@link BundleBuilders} cannot take, or whose build outlasts their patience, is answered
 * BUSY with a retry-after hint, never left silent.
 */
final class ServeHandler extends SimpleChannelInboundHandler<PeerMessage> implements UploadSlots.Holder {
    private static final Logger log = LoggerFactory.getLogger(ServeHandler.class);
    /** Every connection a peer makes can end in one of these: bounded, or a peer writes our log. */
    private static final WarnBudget CLOSING = new WarnBudget(log);
    private static final WarnBudget PREEMPTED = new WarnBudget(log);
    /** Built, its first byte not sent: where a test holds the node mid-serve. */
    private static final ServePause PAUSE = ServePause.bundleServing();

    private final NodeRepository repo;
    private final BundleBuilders bundleBuilders;
    private final BundleReaders bundleReaders;
    private final int chunkBytes;
    private final AtomicLong bytesServed;
    private final ServeSession session;
    private final UploadPacer pacer;
    private ChunkStreamer streamer;
    private boolean pacerWaiting;
    private final SlowReaderRule slowReader;
    private ScheduledFuture<?> slowReaderCheck;
    /** Each second while streaming: a chunk's read blocked past the patience ends the upload with BUSY. */
    private ScheduledFuture<?> diskCheck;
    /** Bytes of the current upload's chunks the socket took whole (one cell, shared with the streamer's listener). */
    private long[] chunksTaken = {0};
    private volatile ChannelHandlerContext context;
    private final UploadWitness witness;
    private final AddressBackoff offences;
    /** The upload streaming now sends its bundle whole (from byte 0 to the end): told to the witness when done. */
    private String wholeBundleOf;

    /**
     * @param self     who we are, proved to each peer that proves who it is
     * @param slots    and {@code pacer} are shared by all of the server's connections
     * @param remote   the peer's address, by which (with its node id) its share of the slots is counted; null: local
     * @param witness  told of each bundle sent whole
     * @param offences told of the address of a peer whose hello named a key it did not prove
     */
    ServeHandler(NodeRepository repo, Identity self, BundleBuilders bundleBuilders, BundleReaders bundleReaders, int chunkBytes, AtomicLong bytesServed,
                 UploadSlots slots, UploadPacer pacer, SocketAddress remote, UploadWitness witness, AddressBackoff offences) {
        this.witness = witness;
        this.offences = offences;
        this.repo = repo;
        this.bundleBuilders = bundleBuilders;
        this.bundleReaders = bundleReaders;
        this.chunkBytes = chunkBytes;
        this.bytesServed = bytesServed;
        this.session = new ServeSession(self, HandshakeProof.newNonce(), slots, remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? UploadSlots.addressKey(inet.getAddress()) : ServeSession.LOCAL, this);
        this.pacer = pacer;
        this.slowReader = new SlowReaderRule(chunkBytes);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
        ServeSession.Decision decision = session.onMessage(message, nowMs());
        if (decision instanceof ServeSession.Reply reply) {
            if (!ctx.channel().isWritable()) {
                // An honest asker reads each answer before it asks again: one that asks on while our
                // answers wait unread past the buffer's mark (BUSY, at once, as often as it asks) had
                // them queued in our memory without end.
                CLOSING.warn("closing connection from {}: it asks again and again without reading the answers",
                        PeerMessages.remote(ctx.channel()));
                ctx.close();
                return;
            }
            if (session.proven()) {
                // before the proof goes out: a peer that reads it may open its next connection at
                // once, and found this one still counted half-open (PeerServerRobustnessTest, at load)
                HandshakeDeadline.passed(ctx.pipeline());
                InboundLimits.proven(ctx.channel());
            }
            ctx.writeAndFlush(reply.message());
        } else if (decision instanceof ServeSession.Refuse refuse) {
            if (refuse.forged() && ctx.channel().remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null) {
                // Its address is closed for a while, as for a peer the gossip core cut: a forger looping
                // costs us one verification per span, not one per connection.
                offences.offence(inet.getAddress());
            }
            refuse(ctx, refuse.code(), refuse.reason());
        } else if (decision instanceof ServeSession.Serve serve) {
            if (serve.preempts() != null) {
                PREEMPTED.info("ending {} early: {} asks and holds less than its share of the upload slots", serve.preempts(),
                        PeerMessages.remote(ctx.channel()));
                serve.preempts().holder().preempt(serve.preempts());
            }
            prepare(ctx, serve);
        }
    }

    /** Another connection's request took this one's upload slot (on that connection's thread): stop and say BUSY. */
    @Override
    public void preempt(UploadSlots.Upload upload) {
        ChannelHandlerContext ctx = context;
        if (ctx != null) {
            ctx.executor().execute(() -> endEarly(ctx, upload));
        }
    }

    private void endEarly(ChannelHandlerContext ctx, UploadSlots.Upload upload) {
        if (!session.preempted(upload)) {
            return;  // that upload was over already
        }
        stopStreaming();
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(ServeSession.busy("upload ended early to share the upload slots with a peer holding fewer"));
        }
    }

    /** What a build is of: two asks of equal keys get the same bundle, so the second joins the first's build. */
    private record BuildKey(String commit, java.util.Set<String> have, String sha256) {
    }

    /** What a build found: the bundle, or why there is none. */
    private sealed interface Built {
        record Bundle(BundleFile file) implements Built {
        }

        record NotHeld() implements Built {
        }

        record NoExactBundle() implements Built {
        }
    }

    /** Answers {@code request} with what its build gave, on the event loop. */
    private void answerBuilt(ChannelHandlerContext ctx, UploadSlots.Upload mine, ServeSession.Serve request, Built built,
            Throwable failure) {
        // Ended early (or answered BUSY at the patience) while it was being built: answered already.
        if (session.upload() != mine) {
            return;
        }
        if (failure instanceof java.util.concurrent.CancellationException) {
            ctx.close();  // shutting down
        } else if (failure != null) {
            log.error("cannot build bundle {} for {}", request.commit(), PeerMessages.remote(ctx.channel()), failure);
            session.finished();
            refuse(ctx, Error.Code.INTERNAL, "cannot build bundle " + request.commit());
        } else if (built instanceof Built.NotHeld) {
            notFound(ctx, request.commit());
        } else if (built instanceof Built.NoExactBundle) {
            otherBundle(ctx, request.commit());
        } else if (built instanceof Built.Bundle bundle) {
            start(ctx, bundle.file(), request.offset(), request.length());
        }
    }

    private void prepare(ChannelHandlerContext ctx, ServeSession.Serve request) {
        UploadSlots.Upload mine = session.upload();
        BuildKey key = new BuildKey(request.commit(), java.util.Set.copyOf(request.have()),
                request.sha256() == null ? null : java.util.HexFormat.of().formatHex(request.sha256()));
        var build = bundleBuilders.build(key, () -> {
            if (!repo.has(request.commit())) {
                return new Built.NotHeld();
            }
            if (request.sha256() == null) {
                return new Built.Bundle(repo.bundle(request.commit(), request.have()));
            }
            var exact = repo.bundleWithDigest(request.commit(), request.have(), request.sha256());
            if (exact.isEmpty()) {
                return new Built.NoExactBundle();
            }
            return new Built.Bundle(exact.get());
        });
        boolean queued = build != null;
        if (queued) {
            PAUSE.answerOnLoop(build, ctx.executor(), built -> built instanceof Built.Bundle,
                    (built, failure) -> answerBuilt(ctx, mine, request, built, failure));
        }
        if (!queued) {
            if (bundleBuilders.closed()) {
                ctx.close();  // shutting down
                return;
            }
            // Every builder taken and the queue full: say so now, and the asker asks another holder.
            session.finished();
            ctx.writeAndFlush(ServeSession.busy("every bundle builder is taken", bundleBuilders.retryAfterMs()));
            return;
        }
        // A build that waits or runs past the patience (a long queue, a disk that blocks) is answered
        // BUSY rather than left silent: the asker's stall rule would read the silence as a rogue's. The
        // build goes on, bounded by the builders' queue, and caches its bundle for the next ask.
        ctx.executor().schedule(() -> {
            if (session.upload() == mine && streamer == null && ctx.channel().isActive()) {
                session.finished();
                ctx.writeAndFlush(ServeSession.busy("the bundle is still being built", bundleBuilders.retryAfterMs()));
            }
        }, BundleBuilders.PATIENCE_MS, TimeUnit.MILLISECONDS);
    }

    /** Stops this upload's reads and its slow-reader checks, closing its bundle file. */
    private void stopStreaming() {
        stopCheckingReader();
        if (streamer != null) {
            try {
                streamer.close();
            } catch (IOException e) {
                log.warn("cannot close a bundle file: {}", e.getMessage());
            }
            streamer = null;
        }
    }

    /**
     * The upload's disk reads cannot go on now (one blocked past the patience, or every reader taken):
     * its slot freed and BUSY said, where the protocol allows it mid-stream, rather than the silence the
     * asker's stall rule reads as a rogue's. The blocked read's bytes, if they ever come, are dropped.
     */
    private void endForDisk(ChannelHandlerContext ctx, String why) {
        PREEMPTED.info("ending an upload to {} early: {}", PeerMessages.remote(ctx.channel()), why);
        bundleReaders.checkBlocked();
        stopStreaming();
        session.finished();
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(ServeSession.busy(why, BundleReaders.RETRY_AFTER_MS));
        }
    }

    private void notFound(ChannelHandlerContext ctx, String commit) {
        log.debug("{} asked for {}, which we do not hold", PeerMessages.remote(ctx.channel()), CommitId.abbreviate(commit));
        session.finished();
        ctx.writeAndFlush(PeerMessages.error(Error.Code.NOT_FOUND, "commit " + commit + " is not held here"));
    }

    private void otherBundle(ChannelHandlerContext ctx, String commit) {
        log.debug("{} asked for a bundle of {} we cannot make byte for byte", PeerMessages.remote(ctx.channel()),
                CommitId.abbreviate(commit));
        session.finished();
        ctx.writeAndFlush(PeerMessages.error(Error.Code.CONFLICT, "no bundle of " + commit + " with that sha256 here"));
    }

    private void start(ChannelHandlerContext ctx, BundleFile bundle, long offset, long length) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (offset > bundle.size()) {
            session.finished();
            refuse(ctx, Error.Code.BAD_REQUEST, "offset " + offset + " is past the end of a " + bundle.size() + "-byte bundle");
            return;
        }
        long end = ServeSession.rangeEnd(offset, length, bundle.size());
        wholeBundleOf = offset == 0 && end == bundle.size() ? bundle.tip() : null;
        try {
            streamer = ChunkStreamer.open(bundle.path(), bundle.tip(), offset, end, chunkBytes, bytesServed, pacer);
        } catch (IOException e) {
            log.error("cannot open bundle file {}", bundle.path(), e);
            session.finished();
            refuse(ctx, Error.Code.INTERNAL, "cannot read bundle " + bundle.tip());
            return;
        }
        log.debug("sending {} (bytes {} to {} of {}, {} prerequisites) to {}", CommitId.abbreviate(bundle.tip()),
                offset, end, bundle.size(), bundle.prerequisites().size(), PeerMessages.remote(ctx.channel()));
        BundleHeader.Builder header = BundleHeader.newBuilder().setCommit(bundle.tip()).setSize(bundle.size())
                .setSha256(ByteString.copyFrom(bundle.sha256())).setPieceBytes(bundle.pieceBytes());
        bundle.pieceSha256().forEach(piece -> header.addPieceSha256(ByteString.copyFrom(piece)));
        streamer.sendFirst(PeerMessage.newBuilder().setBundleHeader(header).build());
        slowReader.started(nowMs());
        UploadSlots.Upload mine = session.upload();
        long[] taken = {0};
        streamer.onChunkTaken(bytes -> {
            taken[0] += bytes;
            slowReader.accepted(taken[0], nowMs());
            session.sent(mine, bytes);
        });
        chunksTaken = taken;
        ChunkStreamer watched = streamer;
        // Read off the event loop: a blocked read holds up this upload alone (checkReader ends it with BUSY).
        watched.readOn(bundleReaders, () -> {
            if (streamer == watched && !pacerWaiting && ctx.channel().isActive()) {
                pump(ctx);
            }
        });
        String commit = bundle.tip();
        long every = slowReader.windowMs() / 4;
        slowReaderCheck = ctx.executor().scheduleAtFixedRate(ConnectionCheck.guarded(ctx, "the slow-reader check",
                () -> checkReader(ctx, watched, commit)), every, every,
                TimeUnit.MILLISECONDS);
        diskCheck = ctx.executor().scheduleAtFixedRate(() -> {
            if (streamer == watched && watched.readingForMs(System.nanoTime()) >= BundleReaders.PATIENCE_MS) {
                endForDisk(ctx, "reading the bundle from disk is blocked");
            }
        }, BundleReaders.PATIENCE_MS / 4, BundleReaders.PATIENCE_MS / 4, TimeUnit.MILLISECONDS);
        pump(ctx);
    }

    /** Now and then while {@code watched} streams: a reader that stopped taking our bytes loses its upload slot. */
    private void checkReader(ChannelHandlerContext ctx, ChunkStreamer watched, String commit) {
        if (streamer != watched) {
            return; // that upload ended, and its check with it
        }
        boolean blocked = !ctx.channel().isWritable();
        if (blocked) {
            // The kernel says a full socket is writable only once a third of its buffer is free: offer
            // it our bytes now, and what it takes is what the reader took since (see SlowReaderRule).
            SocketDrain.offer(ctx.channel());
            slowReader.accepted(chunksTaken[0] + SocketDrain.partlyWritten(ctx.channel()), nowMs());
        }
        if (slowReader.stalled(nowMs(), blocked && !ctx.channel().isWritable())) {
            CLOSING.warn("closing connection from {}: it took less than a chunk of {} in {} s", PeerMessages.remote(ctx.channel()),
                    CommitId.abbreviate(commit), slowReader.windowMs() / 1000);
            ctx.close();
        }
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    private void stopCheckingReader() {
        if (diskCheck != null) {
            diskCheck.cancel(false);
            diskCheck = null;
        }
        if (slowReaderCheck != null) {
            slowReaderCheck.cancel(false);
            slowReaderCheck = null;
        }
    }

    private void pump(ChannelHandlerContext ctx) {
        if (streamer == null) {
            return;
        }
        try {
            switch (streamer.pump(ctx)) {
                case DONE -> {
                    streamer = null;
                    stopCheckingReader();
                    if (wholeBundleOf != null) {
                        witness.servedWhole(session.peerNode(), wholeBundleOf);
                    }
                    session.finished(nowMs());
                }
                case WAIT_PACER -> {
                    pacerWaiting = true;
                    ctx.executor().schedule(() -> {
                        pacerWaiting = false;
                        if (ctx.channel().isActive()) {
                            pump(ctx);
                        }
                    }, streamer.waitNanos(), TimeUnit.NANOSECONDS);
                }
                case WAIT_WRITABLE, WAIT_DISK -> { }
                case READERS_FULL -> endForDisk(ctx, "every bundle reader is taken");
            }
        } catch (IOException e) {
            log.error("cannot read bundle file while sending to {}", PeerMessages.remote(ctx.channel()), e);
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // While the pacer holds the stream back, its own wakeup resumes it.
        if (streamer != null && !pacerWaiting && ctx.channel().isWritable()) {
            pump(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws IOException {
        stopCheckingReader();
        if (streamer != null) {
            streamer.close();
            streamer = null;
        }
        session.closed();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            CLOSING.warn("closing connection from {}: idle too long", PeerMessages.remote(ctx.channel()));
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String problem = PeerMessages.describe(cause);
        if (cause instanceof DecoderException) {
            refuse(ctx, Error.Code.BAD_REQUEST, problem);
        } else {
            CLOSING.warn("closing connection from {}: {}", PeerMessages.remote(ctx.channel()), problem);
            ctx.close();
        }
    }

    private void refuse(ChannelHandlerContext ctx, Error.Code code, String reason) {
        CLOSING.warn("closing connection from {}: {}", PeerMessages.remote(ctx.channel()), reason);
        ctx.writeAndFlush(PeerMessages.error(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }
}
