package dev.rhizome.node.peer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One fetch dial in flight to an address (host and port) until its handshake ends; the others
 * asked meanwhile wait for its outcome. When it proved nothing there (no connection, no hello, no
 * proof within its turns: {@link PeerFailure.Declined#UNREACHABLE}) they fail with it, undialled;
 * otherwise (a key proven, another key answering, the dial given up) they all dial. Round 35: the
 * gossip core's fetch slots, each taking pieces from several holders, dialled a silent address a
 * hint named about three times before the first dial's turn ran out, each costing a handshake turn
 * and a descriptor; a rogue's many keys naming one address multiplied that. A waiter waits at most
 * the dial ahead of it: its connect timeout and handshake cap. Without I/O; thread-safe. Addresses
 * are held only while a dial to them is in flight, so what it holds is bounded by the dials asked.
 */
final class DialsInFlight {
    /** A dial waiting for its turn; told once, outside this class's lock. */
    interface Dial {
        /** Its turn: dial now, and report the dial's end to the ticket. */
        void go();

        /** The dial ahead of it proved nothing at the address: fail, undialled, with {@code why}. */
        void skip(String why);
    }

    /** One dial's place: the one in flight, or one waiting behind it. */
    final class Ticket {
        private final String address;
        private final Dial dial;
        private boolean joined;
        private boolean inFlight;
        private boolean done;

        private Ticket(String address, Dial dial) {
            this.address = address;
            this.dial = dial;
        }

        /** Takes its place: dials at once (told here) when no dial is in flight at its address, else waits for that one. */
        void join() {
            DialsInFlight.this.join(this);
        }

        /** The dial's handshake ended: {@code provedNothing} when nothing answered at the address in its turns. */
        void ended(boolean provedNothing, String why) {
            settle(this, provedNothing, why);
        }

        /** The dial is given up (its fetch cancelled or done): its place goes, and, in flight, the waiters dial. */
        void withdraw() {
            settle(this, false, null);
        }
    }

    /** Address → the dials waiting behind the one in flight there (present: a dial is in flight). */
    private final Map<String, Deque<Ticket>> waiting = new HashMap<>();

    /**
     * A place for a dial to {@code address}, not taken yet ({@link Ticket#join}): made first so that
     * what the dial reports can find its ticket, even when it is told to go at once.
     */
    Ticket ticket(String address, Dial dial) {
        return new Ticket(address, dial);
    }

    private void join(Ticket ticket) {
        synchronized (this) {
            if (ticket.done || ticket.joined) {
                return;
            }
            ticket.joined = true;
            Deque<Ticket> queue = waiting.get(ticket.address);
            if (queue != null) {
                queue.add(ticket);
                return;
            }
            waiting.put(ticket.address, new ArrayDeque<>());
            ticket.inFlight = true;
        }
        ticket.dial.go();
    }

    /** Addresses with a dial in flight (a test's view of what is held). */
    synchronized int addresses() {
        return waiting.size();
    }

    /** Dials waiting behind one in flight, at every address. */
    synchronized int waiters() {
        return waiting.values().stream().mapToInt(Deque::size).sum();
    }

    private void settle(Ticket ticket, boolean provedNothing, String why) {
        List<Ticket> told;
        synchronized (this) {
            if (ticket.done) {
                return;
            }
            ticket.done = true;
            Deque<Ticket> queue = waiting.get(ticket.address);
            if (!ticket.inFlight) {
                if (queue != null) {
                    queue.remove(ticket);
                }
                return;
            }
            waiting.remove(ticket.address);
            told = queue == null ? List.of() : new ArrayList<>(queue);
            for (Ticket t : told) {
                t.done = true;  // told now: released ones dial ungated, so their end settles nothing here
            }
        }
        for (Ticket t : told) {
            if (provedNothing) {
                t.dial.skip("not dialled: the dial to this address just before it " + why);
            } else {
                t.dial.go();  // dialled at once, ungated: the address answered (or its dial was given up)
            }
        }
    }
}
