package dev.rhizome.node.peer;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.nio.AbstractNioChannel;

/**
 * What a full socket takes when offered bytes, for the serving side's stall rule. Netty writes a
 * full NIO socket only when the selector reports it writable, which the kernel does once a third
 * of its send buffer is free (megabytes on loopback); a write attempted between those wakeups still
 * takes whatever room the reader's reads made. Must run on the channel's event loop.
 */
final class SocketDrain {
    private SocketDrain() {
    }

    /** Writes what the socket will take now of the bytes already flushed, whatever the selector said. */
    static void offer(Channel channel) {
        if (channel.isActive() && channel.unsafe() instanceof AbstractNioChannel.NioUnsafe nio) {
            nio.forceFlush(); // a socket with no room takes nothing, and Netty keeps waiting for its wakeup
        }
    }

    /** Bytes written of the message at the head of the outbound buffer (a chunk the socket took in part). */
    static long partlyWritten(Channel channel) {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return out == null ? 0 : out.currentProgress();
    }
}
