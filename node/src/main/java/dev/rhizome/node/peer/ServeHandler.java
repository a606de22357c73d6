package dev.rhizome.node.peer;

import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.CommitId;
import com.google.protobuf.ByteString;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty adapter of {@link ServeSession}: answers hellos, builds bundles off the event loop (JGit
 * and disk are blocking) and streams them back with {@link ChunkStreamer}. A peer that breaks the
 * protocol is told why and disconnected; the server itself carries on.
 */
final class ServeHandler extends SimpleChannelInboundHandler<PeerMessage> {
    private static final Logger log = LoggerFactory.getLogger(ServeHandler.class);

    private final NodeRepository repo;
    private final Executor bundleBuilders;
    private final int chunkBytes;
    private final AtomicLong bytesServed;
    private final ServeSession session;
    private ChunkStreamer streamer;

    ServeHandler(NodeRepository repo, PeerMessage ourHello, Executor bundleBuilders, int chunkBytes, AtomicLong bytesServed) {
        this.repo = repo;
        this.bundleBuilders = bundleBuilders;
        this.chunkBytes = chunkBytes;
        this.bytesServed = bytesServed;
        this.session = new ServeSession(ourHello);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
        ServeSession.Decision decision = session.onMessage(message);
        if (decision instanceof ServeSession.Reply reply) {
            ctx.writeAndFlush(reply.message());
        } else if (decision instanceof ServeSession.Refuse refuse) {
            refuse(ctx, refuse.code(), refuse.reason());
        } else if (decision instanceof ServeSession.Serve serve) {
            prepare(ctx, serve);
        }
    }

    private void prepare(ChannelHandlerContext ctx, ServeSession.Serve request) {
        try {
            bundleBuilders.execute(() -> {
                try {
                    if (!repo.has(request.commit())) {
                        ctx.executor().execute(() -> notFound(ctx, request.commit()));
                        return;
                    }
                    BundleFile bundle = repo.bundle(request.commit(), request.have());
                    ctx.executor().execute(() -> start(ctx, bundle, request.offset()));
                } catch (IOException | RuntimeException e) {
                    log.error("cannot build bundle {} for {}", request.commit(), PeerMessages.remote(ctx.channel()), e);
                    ctx.executor().execute(() -> refuse(ctx, Error.Code.INTERNAL, "cannot build bundle " + request.commit()));
                }
            });
        } catch (RejectedExecutionException e) {
            ctx.close();  // shutting down
        }
    }

    private void notFound(ChannelHandlerContext ctx, String commit) {
        log.debug("{} asked for {}, which we do not hold", PeerMessages.remote(ctx.channel()), CommitId.abbreviate(commit));
        session.finished();
        ctx.writeAndFlush(PeerMessages.error(Error.Code.NOT_FOUND, "commit " + commit + " is not held here"));
    }

    private void start(ChannelHandlerContext ctx, BundleFile bundle, long offset) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (offset > bundle.size()) {
            refuse(ctx, Error.Code.BAD_REQUEST, "offset " + offset + " is past the end of a " + bundle.size() + "-byte bundle");
            return;
        }
        try {
            streamer = ChunkStreamer.open(bundle.path(), bundle.tip(), bundle.size(), offset, chunkBytes, bytesServed);
        } catch (IOException e) {
            log.error("cannot open bundle file {}", bundle.path(), e);
            refuse(ctx, Error.Code.INTERNAL, "cannot read bundle " + bundle.tip());
            return;
        }
        log.debug("sending {} ({} bytes from offset {}, {} prerequisites) to {}", CommitId.abbreviate(bundle.tip()),
                bundle.size(), offset, bundle.prerequisites().size(), PeerMessages.remote(ctx.channel()));
        ctx.write(PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder()
                .setCommit(bundle.tip()).setSize(bundle.size()).setSha256(ByteString.copyFrom(bundle.sha256()))).build());
        pump(ctx);
    }

    private void pump(ChannelHandlerContext ctx) {
        try {
            if (streamer.pump(ctx)) {
                streamer = null;
                session.finished();
            }
        } catch (IOException e) {
            log.error("cannot read bundle file while sending to {}", PeerMessages.remote(ctx.channel()), e);
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (streamer != null && ctx.channel().isWritable()) {
            pump(ctx);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws IOException {
        if (streamer != null) {
            streamer.close();
            streamer = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            log.warn("closing connection from {}: idle too long", PeerMessages.remote(ctx.channel()));
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
            log.warn("closing connection from {}: {}", PeerMessages.remote(ctx.channel()), problem);
            ctx.close();
        }
    }

    private void refuse(ChannelHandlerContext ctx, Error.Code code, String reason) {
        log.warn("closing connection from {}: {}", PeerMessages.remote(ctx.channel()), reason);
        ctx.writeAndFlush(PeerMessages.error(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }
}
