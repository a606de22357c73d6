package dev.rhizome.node.peer;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Addresses whose peers the gossip core cut for misbehaviour (banned, scored too low, a bad
 * hello), and for how long the server closes their new connections as soon as it accepts them,
 * before reading a byte: a banned peer reconnecting in a loop cost a whole handshake each time (one
 * signature, two verifications) before the core cut it again, and a new key costs it nothing, so
 * bans by id alone never slowed it. Addresses whose inbound gossip links come and go in a loop
 * (the core's {@code RelinkChurn}: a handshake each, never charged) take the same rests.
 *
 * <p>Nodes behind one NAT (or a test network on loopback) share an address, so this is a
 * backoff, not a ban: the first offence closes the address for {@link #BASE_MS}, each further one
 * within {@link #FORGET_MS} of the last doubles it, up to {@link #MAX_MS}; an address quiet for
 * {@link #FORGET_MS} starts again. An honest node sharing a rogue's address loses its inbound
 * connections for those spans (it still dials out and fetches from others); the rogue gets one
 * handshake per span instead of one per connection. An address counts as {@link UploadSlots#addressKey}
 * counts it (an IPv6 address by its /64), as the inbound connection bound does.
 *
 * <p>Offences reported while the address already rests are one offence, not one each: they come
 * from connections accepted before the rest began (a flood's half-open handshakes reaching their
 * deadline together), not from anything the address did since. Before round 34, 64 handshakes
 * abandoned at once doubled the rest 52 times over, to {@link #MAX_MS}, from a single burst, and an
 * honest node sharing the address (a NAT, a test network on loopback) was refused for the longest
 * rest after the first flood. At most
 * {@link #MAX_ADDRESSES} are remembered, the least recently offending forgotten first.
 * Thread-safe: the core's driver reports, every event loop asks.
 */
public final class AddressBackoff {
    public static final long BASE_MS = 5_000;
    /** At most this long closed: about one handshake every 160 s from a banned peer looping, little for NAT mates to wait. */
    public static final long MAX_MS = 160_000;
    /** An address this long without an offence starts again at {@link #BASE_MS}: the length of a ban. */
    public static final long FORGET_MS = 10 * 60_000;
    static final int MAX_ADDRESSES = 4096;

    private static final class Entry {
        int offences;
        long lastOffenceMs;
        long closedUntilMs;
    }

    private final LongSupplier clockMs;
    private final Map<String, Entry> addresses = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_ADDRESSES;
        }
    };

    /** On a monotonic clock. */
    public AddressBackoff() {
        this(() -> System.nanoTime() / 1_000_000);
    }

    AddressBackoff(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    /** A peer at {@code address} was cut for misbehaviour: its address is closed for a while, longer each time. */
    public void offence(InetAddress address) {
        offence(UploadSlots.addressKey(address), clockMs.getAsLong());
    }

    /** As {@link #offence(InetAddress)}, for an address as {@link UploadSlots#addressKey} keys it (a gossip link's remote end). */
    public void offence(String addressKey) {
        offence(addressKey, clockMs.getAsLong());
    }

    synchronized void offence(String key, long nowMs) {
        Entry e = addresses.get(key);
        if (e == null || nowMs - e.lastOffenceMs >= FORGET_MS) {
            e = new Entry();
            addresses.put(key, e);
        }
        e.lastOffenceMs = nowMs;
        if (nowMs < e.closedUntilMs) {
            return;  // the same burst: the rest it earned runs
        }
        e.offences = Math.min(e.offences + 1, 31);
        e.closedUntilMs = nowMs + Math.min(MAX_MS, BASE_MS << Math.min(e.offences - 1, 20));
    }

    /** How many more milliseconds connections from {@code address} are closed at accept; 0 when they are not. */
    public long closedFor(InetAddress address) {
        return closedFor(UploadSlots.addressKey(address), clockMs.getAsLong());
    }

    synchronized long closedFor(String key, long nowMs) {
        Entry e = addresses.get(key);
        if (e == null) {
            return 0;
        }
        if (nowMs - e.lastOffenceMs >= FORGET_MS) {
            addresses.remove(key);
            return 0;
        }
        return Math.max(0, e.closedUntilMs - nowMs);
    }

    synchronized int size() {
        return addresses.size();
    }
}
