package dev.rhizome.protocol.frame;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Lets a frame on only while its channel is open. One read can bring many frames, and the decoder
 * hands on every one of them after a handler closed the channel (a refused handshake): each was
 * parsed and fed to a handshake already over, which threw. Released unparsed instead.
 */
@ChannelHandler.Sharable
final class FramesWhileOpen extends ChannelInboundHandlerAdapter {
    static final FramesWhileOpen INSTANCE = new FramesWhileOpen();

    private FramesWhileOpen() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object frame) {
        if (ctx.channel().isActive()) {
            ctx.fireChannelRead(frame);
        } else {
            ReferenceCountUtil.release(frame);
        }
    }
}
