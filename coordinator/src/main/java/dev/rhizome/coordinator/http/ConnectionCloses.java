package dev.rhizome.coordinator.http;

/**
 * Why the coordinator closed a connection on its own, as {@code rhizome_connections_closed_total}
 * names it: an operator tells a wave of non-readers ({@code write_stall}, {@code reply_holders})
 * from clients that open and leave connections unused ({@code idle}) or send without end
 * ({@code request_budget}), which the logs alone showed only line by line, and bounded.
 */
final class ConnectionCloses {
    static final String IDLE = "idle";
    static final String WRITE_STALL = "write_stall";
    static final String REPLY_HOLDERS = "reply_holders";
    static final String REQUEST_BUDGET = "request_budget";

    private ConnectionCloses() {
    }
}
