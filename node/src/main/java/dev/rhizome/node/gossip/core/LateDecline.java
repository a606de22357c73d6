package dev.rhizome.node.gossip.core;

/**
 * When a holder's "busy" is not a plain decline: it came after the holder had sent most of what
 * it was asked for on that connection. An honest holder may end an upload early when its slots are
 * shared out (peershare), but a holder that does so just before every end costs each asker nearly
 * a whole transfer per ask while a decline is free; so such a decline starts the holder's rest at
 * once ({@link Declines}) instead of after a streak. The bytes it sent are kept by the fetcher and
 * resumed from, so what is lost is at most the piece in flight. Pure.
 */
public final class LateDecline {
    private LateDecline() {
    }

    /**
     * Whether a decline after {@code sent} of the {@code asked} bytes of one request comes late:
     * more than half of them arrived (and at least one).
     */
    public static boolean isLate(long sent, long asked) {
        return sent > 0 && asked > 0 && sent * 2 > asked;
    }
}
