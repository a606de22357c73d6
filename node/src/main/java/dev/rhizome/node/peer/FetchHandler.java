package dev.rhizome.node.peer;

import dev.rhizome.node.gossip.core.NewerKind;
import dev.rhizome.node.gossip.core.StallFloor;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;

/**
 * Netty adapter of {@link FetchSession}: says hello, proves our key and sends the request once the
 * peer's hello came (its nonce is what we sign), feeds what arrives to the
 * session and the chunks to the sink, and settles {@code outcome} exactly once: complete when a
 * verified bundle (or a complete range) is in the sink, failed with a {@link PeerFailure}
 * otherwise. The sink belongs to the fetcher, which may resume into it over another connection.
 */
final class FetchHandler extends SimpleChannelInboundHandler<PeerMessage> {
    /** Bytes a transfer must advance per idle period: 64 KiB, as in the gossip core's stall rule. */
    static final long MIN_PROGRESS_BYTES = StallFloor.MIN_PROGRESS_BYTES;
    /**
     * Idle periods a holder has, from the connection, to send its header: an honest one answers its
     * hello at once and is silent at most one period while it builds the bundle (the idle timeout).
     */
    static final int HEADER_PERIODS = 3;

    private final String commit;
    private final FetchSession session;
    private final TransferSink sink;
    private final Identity self;
    private final PeerMessage request;
    private final TransferProgress progress;
    private final CompletableFuture<Void> outcome;
    private final long idleMillis;
    private final long minProgressBytes;
    private final Runnable proven;
    private ScheduledFuture<?> progressCheck;
    private long receivedAtCheck;
    private long checkedAtNanos;
    private boolean progressArmed;
    /** Periods judged with no header yet: only the header ends the wait, not any frame or byte. */
    private int periodsWithoutHeader;

    FetchHandler(Identity self, String commit, FetchSession session, TransferSink sink, PeerMessage request,
                 TransferProgress progress, CompletableFuture<Void> outcome, long idleMillis) {
        this(self, commit, session, sink, request, progress, outcome, idleMillis, MIN_PROGRESS_BYTES, () -> { });
    }

    /**
     * @param self             who we say we are in our hello, and prove
     * @param minProgressBytes what the transfer must advance per idle period (less under this node's download cap)
     * @param proven           told once the holder proved its key (its address answered: the dials waiting on it go)
     */
    FetchHandler(Identity self, String commit, FetchSession session, TransferSink sink, PeerMessage request,
                 TransferProgress progress, CompletableFuture<Void> outcome, long idleMillis, long minProgressBytes,
                 Runnable proven) {
        this.self = self;
        this.proven = proven;
        this.minProgressBytes = minProgressBytes;
        this.commit = commit;
        this.session = session;
        this.sink = sink;
        this.request = request;
        this.progress = progress;
        this.outcome = outcome;
        this.idleMillis = idleMillis;
        this.receivedAtCheck = session.received(); // a resumed transfer counts from where it resumed
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(session.open(self, HandshakeProof.newNonce()));
        // The idle timeout catches silence; this catches a peer that trickles bytes to dodge it.
        // With a fixed delay, not rate: an event loop that ran late does not run missed checks back to back.
        checkedAtNanos = System.nanoTime();
        progressCheck = ctx.executor().scheduleWithFixedDelay(ConnectionCheck.guarded(ctx, "the progress check",
                () -> checkProgress(ctx)), idleMillis, idleMillis,
                TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
        if (outcome.isDone()) {
            return;
        }
        try {
            switch (message.getBodyCase()) {
                case HELLO -> {
                    ctx.write(session.onHello(message.getHello()));
                    ctx.writeAndFlush(request);
                }
                case HELLO_PROOF -> {
                    session.onProof(message.getHelloProof());
                    HandshakeDeadline.passed(ctx.pipeline());  // the holder's key is proven: the idle and progress rules judge it from here
                    proven.run();
                }
                case BUNDLE_HEADER -> {
                    session.onHeader(message.getBundleHeader());
                    // The peer has found the bundle and started: worth telling a stall clock before the first chunk.
                    progress.update(commit, session.received(), session.size());
                }
                case BUNDLE_CHUNK -> {
                    session.onChunk(message.getBundleChunk());
                    sink.write(message.getBundleChunk().getData());
                    if (!message.getBundleChunk().getData().isEmpty()) {
                        // An empty chunk is no progress: reported, it read as "not started yet" to the
                        // core's stall clock (any report counts before the first byte), every time.
                        progress.update(commit, session.received(), session.size());
                    }
                }
                case BUNDLE_END -> {
                    session.onEnd(message.getBundleEnd(), sink.finish());
                    outcome.complete(null);
                    if (progressCheck != null) {
                        progressCheck.cancel(false);
                    }
                    ctx.close();
                }
                case ERROR -> session.onError(message.getError());
                case BODY_NOT_SET -> {
                    // A kind a newer holder added (one message field; NewerKind) is skipped, as a gossip
                    // link skips one: it was a wrong bundle (-16). Only bundle bytes count as progress.
                    if (!NewerKind.is(message.getUnknownFields())) {
                        throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent a message of no kind");
                    }
                }
                default -> throw new PeerFailure(PeerFailure.Kind.BAD_BUNDLE, "sent an unexpected " + message.getBodyCase());
            }
        } catch (PeerFailure e) {
            fail(ctx, e);
        } catch (IOException e) {
            fail(ctx, new PeerFailure(PeerFailure.Kind.LOCAL, "could not store the bundle here: " + e.getMessage()));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            fail(ctx, PeerFailure.stalled("stalled: nothing received for " + idleMillis + " ms", idleMillis, false));
        } else if (event instanceof HandshakeDeadline.Expired expired) {
            // Nothing proven at this address in its turn: as good as unreachable, whoever (if anyone) is there.
            fail(ctx, PeerFailure.declined(PeerFailure.Declined.UNREACHABLE, "proved no key: " + expired.why()));
        } else {
            ctx.fireUserEventTriggered(event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, new PeerFailure(PeerMessages.isOversized(cause) ? PeerFailure.Kind.OVERSIZED
                : cause instanceof DecoderException ? PeerFailure.Kind.BAD_BUNDLE : PeerFailure.Kind.CONNECTION_LOST,
                PeerMessages.describe(cause)));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, session.closedEarly());
        ctx.fireChannelInactive();
    }

    /**
     * Every idle period a transfer must advance by {@link #MIN_PROGRESS_BYTES} (or finish, if less
     * is left), counted from the first full period after the header: the same minimum-progress rule
     * the gossip core applies to its fetches.
     */
    private void checkProgress(ChannelHandlerContext ctx) {
        long received = session.received();
        long nowNanos = System.nanoTime();
        long sinceMs = (nowNanos - checkedAtNanos) / 1_000_000;
        checkedAtNanos = nowNanos;
        if (sinceMs > idleMillis + idleMillis / 4) {
            // This node's event loop ran late (its CPU starved): what it did not read is not the peer's
            // fault, so the period is not judged, and the next one counts from here.
            receivedAtCheck = received;
            return;
        }
        if (!progressArmed) {
            // Until the header, the peer may be building the bundle (silence is the idle timeout's to judge);
            // the rule holds from the first full period after it.
            progressArmed = session.size() > 0;
            receivedAtCheck = received;
            if (!progressArmed && ++periodsWithoutHeader >= HEADER_PERIODS && !outcome.isDone()) {
                // Any byte resets the idle timeout, and none counted before the header: a holder sending a
                // newer kind's frame, or its header a byte at a time, held the fetch (and a slot's unit) for ever.
                fail(ctx, PeerFailure.stalled("stalled: no bundle header within " + HEADER_PERIODS * idleMillis + " ms",
                        sinceMs, true));
            }
            return;
        }
        long left = session.size() > 0 ? session.remaining() : minProgressBytes;
        long step = received - receivedAtCheck;
        receivedAtCheck = received;
        if (!outcome.isDone() && step < Math.min(minProgressBytes, Math.max(1, left))) {
            String why = "stalled: " + step + " bytes in " + idleMillis + " ms, under the minimum of " + minProgressBytes;
            // Bytes that arrived prove the path alive: the holder's pace was judged, and resuming it buys it
            // the rule's bound again (PeerFailure.trickled). None may be a dead path, as the idle timeout's.
            fail(ctx, PeerFailure.stalled(why, sinceMs, step > 0));
        }
    }

    private void fail(ChannelHandlerContext ctx, PeerFailure failure) {
        if (progressCheck != null) {
            progressCheck.cancel(false);
        }
        if (outcome.isDone()) {
            return;
        }
        outcome.completeExceptionally(failure);
        ctx.close();
    }
}
