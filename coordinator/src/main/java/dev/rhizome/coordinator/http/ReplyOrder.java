package dev.rhizome.coordinator.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTP/1.1 pipelining: a client may send several requests before reading a reply, and the replies
 * must leave in the order the requests came, whichever finishes first. Each request takes a number
 * as it arrives; a finished reply waits here until every earlier one has gone. Pure and
 * single-threaded: the connection's event loop owns it.
 */
final class ReplyOrder<R> {
    private final Map<Long, R> finished = new HashMap<>();
    private long nextToAssign;
    private long nextToSend;

    /** The number of the request that just arrived. */
    long arrive() {
        return nextToAssign++;
    }

    /** Records a finished reply; returns the replies that may now be sent, in order. */
    List<R> finish(long seq, R reply) {
        if (seq < nextToSend || seq >= nextToAssign || finished.putIfAbsent(seq, reply) != null) {
            throw new IllegalStateException("reply " + seq + " finished twice or was never assigned");
        }
        List<R> ready = new ArrayList<>();
        R next;
        while ((next = finished.remove(nextToSend)) != null) {
            ready.add(next);
            nextToSend++;
        }
        return ready;
    }

    /** The connection closed: the finished replies still waiting for an earlier one, which will never go. */
    List<R> drop() {
        List<R> dropped = new ArrayList<>(finished.values());
        finished.clear();
        return dropped;
    }

    /** Requests that arrived and whose replies have not been sent yet. */
    int outstanding() {
        return (int) (nextToAssign - nextToSend);
    }
}
