package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lazy pull of bundles: which commits are held, which are wanted, who announced them, and the one
 * fetch outstanding per wanted commit.
 *
 * <p>The first announcer of a commit is asked for it; later announcers are queued as alternatives
 * and only asked when the current fetch fails or stalls. So each bundle is downloaded about once
 * per node, where flooding would download it from every neighbour.
 *
 * <p>At most {@link #MAX_ACTIVE} fetches are outstanding at once, and a fetch's stall clock starts
 * when it is handed out, never while it waits for a slot: a peer that announces hundreds of
 * commits, or a node catching up on a backlog, is not taken for a staller because its fetches
 * queue behind each other. Commits the node's own work needs ({@link #needed}) go first.
 *
 * <p>A holder that declines (busy, unable) is asked again later, at no cost to its score, up to
 * {@link #MAX_ATTEMPTS} times a commit, and then not for that commit again even if it announces it
 * anew on the same link (a new link starts afresh: {@link #relinked}); one that keeps declining
 * rests for a while, for every commit ({@link Declines}). The table
 * of wanted commits is shared among the peers that announced them first: once it is full, a peer
 * that introduced fewer wants than another takes the place of that one's oldest idle want, so a peer
 * announcing thousands of commits it does not hold can't fill it and have every other announcement
 * dropped.
 */
final class FetchPlanner {
    /** Alternative holders remembered per commit; more add nothing but memory. */
    static final int MAX_HOLDERS = 16;
    /** Bytes a fetch must advance within fetchStall to count as progressing (6.4 KB/s at the default 10 s). */
    static final long MIN_PROGRESS_BYTES = StallFloor.MIN_PROGRESS_BYTES;

    /** Tries per holder for failures that may be transient (stall, lost connection). */
    static final int MAX_ATTEMPTS = 3;
    /** Fetches outstanding at once; the adapter runs as many transfers in parallel. */
    static final int MAX_ACTIVE = 4;
    /** Fetches outstanding from one peer: a peer announcing a flood of commits can't take every slot. */
    static final int MAX_ACTIVE_PER_PEER = 2;
    /** Fetches outstanding from a peer known to be slow (see {@link #slow}). */
    static final int MAX_ACTIVE_PER_SLOW_PEER = 1;
    /** Slots slow transfers may hold while other fetches wait for one: the rest stay for faster holders. */
    static final int MAX_SLOW_ACTIVE = MAX_ACTIVE / 2;
    /**
     * A transfer is judged slow over windows of this many stall periods: under {@link #SLOW_FACTOR}
     * times the stall floor (1 MiB per 10 s, about 100 KB/s, by default) it is slow. Slow is no
     * offence (an honest holder may have a slow uplink): it costs no score, only the preference.
     */
    static final int SLOW_WINDOW_PERIODS = 3;
    static final int SLOW_FACTOR = 16;
    /** How long a peer found slow is remembered as slow. */
    static final long SLOW_MEMORY_MS = 10 * 60_000;
    /**
     * Slow is also relative: under 1/8 of the best rate a transfer reached here lately (a window, or
     * a whole bundle delivered, within {@link #SLOW_MEMORY_MS}). A rogue can't raise that bar but by
     * serving fast; an honest node behind a slow link never sees a fast rate, so only the absolute
     * floor applies there.
     */
    static final int SLOW_RELATIVE = 8;
    /** Peers remembered as slow, the most recent. */
    static final int MAX_SLOW_PEERS = 1_024;

    /**
     * How long a claim made on a link that ended is remembered: a peer that drops its link and links
     * again to end its claims before answering "not found" still answers for them, within the
     * excuses an honest node's prune while unlinked needs (see {@link GoneClaims}).
     */
    static final long LAPSED_CLAIM_MS = 10 * 60_000;

    /** A peer's claim to a commit: on its current link, on a link that ended lately, or none. */
    enum Claim { NONE, LIVE, LAPSED }

    record Start(PublicId from, String commit) {
    }

    private static final class Holder {
        final PublicId peer;
        /** Tries that failed in a way worth retrying (a stall, a lost connection, a decline). */
        int attempts;
        long notBeforeMs;

        Holder(PublicId peer) {
            this.peer = peer;
        }
    }

    private static final class Want {
        final ArrayDeque<Holder> queue = new ArrayDeque<>();
        final Set<PublicId> announcers = new HashSet<>();
        /** Peers that signed an Inventory naming this commit to us: for them, "not found" is a lie. */
        final Set<PublicId> claimed = new HashSet<>();
        /** Peers whose claim was made on a link that has since ended, and when it ended (see {@link #claimOf}). */
        final Map<PublicId, Long> lapsed = new HashMap<>();
        /** Peers that used up their tries for this commit: a new announcement of it does not queue them again. */
        final Set<PublicId> spent = new HashSet<>();
        /** The peer whose announcement made this want (null: the node's own work), for the table's shares. */
        PublicId origin;
        Holder current;
        /** The node's work waits for it: kept past seenTtl, started first, and its exhaustion reported. */
        boolean needed;
        /** Heard of but not to be fetched (the wants filter): its holders are kept until the work asks, or seenTtl. */
        boolean dormant;
        long lastProgressMs;
        long countedBytes;
        /** Bytes the current transfer reported last, and where its slow-rule window began (time, bytes). */
        long bytes;
        /** Starved time the stall clock was moved on by since the last step of progress (see {@link #starved}). */
        long excusedMs;
        long startedMs;
        long windowMs;
        long windowBytes;
        long touchedMs;

        boolean knows(PublicId peer) {
            return (current != null && current.peer.equals(peer)) || queue.stream().anyMatch(h -> h.peer.equals(peer));
        }
    }

    private final GossipConfig config;
    private final int maxWants;
    private final Set<String> held = new HashSet<>();
    private final ArrayDeque<String> recent = new ArrayDeque<>();
    private final Map<String, Want> wants = new LinkedHashMap<>(); // oldest first, so fetches start in order
    private int active;
    /** What a fetch must advance per fetchStall: less under this node's own download cap (see {@link StallFloor}). */
    private long minProgressBytes = MIN_PROGRESS_BYTES;
    private final Map<PublicId, Integer> activeByPeer = new HashMap<>();
    /** The wants each peer introduced, oldest first: whose to give up when the table is full. */
    private final Map<PublicId, LinkedHashSet<String>> byOrigin = new HashMap<>();
    private final Declines declines = new Declines();
    /** Peers whose transfers ran slow lately, until when they count as slow. */
    private final Bounded<PublicId, Long> slowUntil = new Bounded<>(MAX_SLOW_PEERS);
    /** What a transfer must advance per stall period not to be slow: less under this node's own download cap. */
    private long slowBytes = SLOW_FACTOR * MIN_PROGRESS_BYTES;
    /** The best rate seen lately (bytes per stall period) and when: the relative bar. */
    private long bestBytes;
    private long bestAtMs = Long.MIN_VALUE;

    FetchPlanner(GossipConfig config) {
        this.config = config;
        this.maxWants = Math.max(config.maxCommitsPerInventory(), config.maxSeen() / 10);
    }

    boolean holds(String commit) {
        return held.contains(commit);
    }

    /** The newest held commits, at most maxCommitsPerInventory, oldest first: what a new neighbour is told. */
    List<String> recentlyHeld() {
        return new ArrayList<>(recent);
    }

    int wanted() {
        return wants.size();
    }

    int active() {
        return active;
    }

    /** {@code holder} says it has {@code commit}; returns the fetch to start, if this is the first holder. */
    Start announced(PublicId holder, String commit, long nowMs) {
        return announced(holder, commit, true, nowMs);
    }

    /**
     * {@code holder} says it has {@code commit}. With {@code fetch} false (the wants filter says no)
     * the holder is only remembered, so the work can fetch from it later; a want already made fetches.
     */
    Start announced(PublicId holder, String commit, boolean fetch, long nowMs) {
        if (held.contains(commit)) {
            return null;
        }
        Want want = wants.get(commit);
        if (want == null) {
            if (wants.size() >= maxWants && !evictFor(holder)) {
                return null;
            }
            want = new Want();
            want.dormant = !fetch;
            want.origin = holder;
            wants.put(commit, want);
            byOrigin.computeIfAbsent(holder, p -> new LinkedHashSet<>()).add(commit);
        } else if (fetch) {
            want.dormant = false;
        }
        want.touchedMs = nowMs;
        if (want.spent.contains(holder)) {
            return null; // it had its tries for this commit; announcing it again buys no more
        }
        if (want.announcers.size() < 2 * MAX_HOLDERS) {
            want.announcers.add(holder);
            want.claimed.add(holder);
            want.lapsed.remove(holder);
        }
        if (want.knows(holder)) {
            // a holder heard while dormant: the want may just have woken up
            return want.current == null && !want.dormant && active < MAX_ACTIVE ? next(want, commit, nowMs) : null;
        }
        if (want.dormant) {
            if (want.queue.size() < MAX_HOLDERS) {
                want.queue.add(new Holder(holder));
            }
            return null;
        }
        if (want.current == null && active < MAX_ACTIVE && want.queue.isEmpty() && usable(holder, nowMs)) {
            return begin(want, new Holder(holder), commit, nowMs);
        }
        if (want.queue.size() < MAX_HOLDERS) {
            want.queue.add(new Holder(holder));
        }
        return want.current == null && active < MAX_ACTIVE ? next(want, commit, nowMs) : null;
    }

    /**
     * The node's work needs {@code commit}, which {@code holders} are said to hold (hints, unverified
     * until a bundle from them passes its checks). Returns the fetch to start now, if any.
     */
    Start needed(String commit, List<PublicId> holders, long nowMs) {
        if (held.contains(commit)) {
            return null;
        }
        Want want = wants.computeIfAbsent(commit, c -> new Want());
        want.needed = true;
        want.dormant = false;
        want.touchedMs = nowMs;
        for (PublicId holder : holders) {
            if (!want.knows(holder) && !want.spent.contains(holder) && want.queue.size() < MAX_HOLDERS) {
                want.queue.add(new Holder(holder));
            }
            if (want.announcers.size() < 2 * MAX_HOLDERS) {
                want.announcers.add(holder);
            }
        }
        return want.current == null && active < MAX_ACTIVE ? next(want, commit, nowMs) : null;
    }

    /** A needed commit that nobody is left to ask: no fetch outstanding, no holder queued. */
    boolean exhausted(String commit) {
        Want want = wants.get(commit);
        return want != null && want.needed && want.current == null && want.queue.isEmpty();
    }

    /**
     * When the planner next has something to decide: a transfer's stall deadline, or a backed-off
     * holder coming due. A holder already due that waits for a free slot is no deadline: a slot frees
     * on an event (a fetch ends), and counting it would have the driver spin.
     */
    long nextDeadlineMs(long nowMs) {
        long next = Long.MAX_VALUE;
        long stall = config.fetchStall().toMillis();
        for (Want want : wants.values()) {
            if (want.current != null) {
                next = Math.min(next, want.lastProgressMs + stall);
            } else if (!want.dormant) {
                for (Holder h : want.queue) {
                    long due = dueMs(h);
                    if (due > nowMs) {
                        next = Math.min(next, due);
                    }
                }
            }
        }
        return next;
    }

    /** Needed commits that nobody is left to ask. */
    List<String> exhaustedNeeded() {
        List<String> out = new ArrayList<>();
        wants.forEach((commit, want) -> {
            if (want.needed && want.current == null && want.queue.isEmpty()) {
                out.add(commit);
            }
        });
        return out;
    }

    /** Forgets a want (its waiters were told it is unavailable); a later announcement starts afresh. */
    void drop(String commit) {
        Want want = removeWant(commit);
        if (want != null && want.current != null) {
            release(want.current.peer);
        }
    }

    /**
     * Progress of the outstanding fetch. Once bytes flow, only a step of {@link #MIN_PROGRESS_BYTES}
     * counts: a peer that trickles a few bytes at a time to dodge the stall rule is as good as
     * stalled, and the next holder is asked. Before the first byte (connecting, queued at a busy
     * peer) any report counts.
     */
    void progress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        Want want = wants.get(commit);
        if (want != null && want.current != null && want.current.peer.equals(from)) {
            if (want.bytes == 0 && bytesSoFar > 0) {
                // The slow rule's first window starts with the first byte: building the bundle is the stall rule's to judge.
                want.windowMs = nowMs;
                want.windowBytes = 0;
            }
            want.bytes = Math.max(want.bytes, bytesSoFar);
        }
        if (want != null && want.current != null && want.current.peer.equals(from)
                && (bytesSoFar == 0 || bytesSoFar - want.countedBytes >= minProgressBytes)) {
            want.lastProgressMs = nowMs;
            want.excusedMs = 0;
            want.countedBytes = bytesSoFar;
        }
    }

    /**
     * This node was not running for {@code lateMs} up to {@code nowMs}: each outstanding transfer's
     * clocks move on by that much (never past now), as if the time had not passed for it.
     */
    void starved(long lateMs, long nowMs) {
        long stall = config.fetchStall().toMillis();
        for (Want want : wants.values()) {
            if (want.current != null) {
                // At most one stall period in all between two steps of progress: a node starved for
                // good still judges a staller, within twice the stall period.
                long shift = Math.min(lateMs, stall - want.excusedMs);
                if (shift > 0) {
                    want.excusedMs += shift;
                    want.lastProgressMs = Math.min(nowMs, want.lastProgressMs + shift);
                }
                want.windowMs = Math.min(nowMs, want.windowMs + lateMs);
            }
        }
    }

    /** This node's downloads are capped at {@code bytesPerSecond} in all (0: none): the stall rule expects no more of a holder. */
    void capDownloads(long bytesPerSecond) {
        long period = config.fetchStall().toMillis();
        minProgressBytes = StallFloor.minProgressBytes(bytesPerSecond, period, MAX_ACTIVE);
        // Under a cap each transfer gets at most its share: slow is under half of it, as the floor is.
        long share = bytesPerSecond <= 0 ? Long.MAX_VALUE : bytesPerSecond * period / 1000 / MAX_ACTIVE / 2;
        slowBytes = Math.max(minProgressBytes, Math.min(SLOW_FACTOR * MIN_PROGRESS_BYTES, share));
    }

    /** A transfer moved off a slow holder, or a slot a slow transfer gave up: {@code stopped} is cancelled, {@code started} begun. */
    record Move(Start stopped, Start started) {
    }

    /**
     * The slow-holder rule, run every tick. A transfer whose last window ({@link #SLOW_WINDOW_PERIODS}
     * stall periods) advanced less than the slow rate marks its holder slow for
     * {@link #SLOW_MEMORY_MS}; a slow holder has one fetch slot, not two. A slow transfer moves to
     * another holder of the same commit not known to be slow, when one is due and has a slot (the
     * slow one goes back to the queue, its tries untouched). And while fetches wait for a slot that
     * a holder not known slow could take, slow transfers keep at most {@link #MAX_SLOW_ACTIVE} slots
     * (one per slow peer): the others go back to their queues, the fewest bytes first. So holders
     * sending just above the stall floor can't hold every slot for hours, and an honest node behind
     * a slow link (every holder slow) keeps its transfers: nothing faster waits.
     */
    List<Move> slow(long nowMs) {
        long window = SLOW_WINDOW_PERIODS * config.fetchStall().toMillis();
        List<Move> moves = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entrySet()) {
            Want want = e.getValue();
            if (want.current == null || nowMs - want.windowMs < window) {
                continue;
            }
            long perPeriod = (want.bytes - want.windowBytes) * config.fetchStall().toMillis() / Math.max(1, nowMs - want.windowMs);
            boolean slowNow = perPeriod < slowBar(nowMs);
            sawRate(perPeriod, nowMs);
            want.windowMs = nowMs;
            want.windowBytes = want.bytes;
            if (!slowNow) {
                continue;
            }
            PublicId peer = want.current.peer;
            slowUntil.put(peer, nowMs + SLOW_MEMORY_MS);
            Holder faster = firstReady(want, nowMs);
            if (faster != null) {
                moves.add(moveOff(want, e.getKey(), faster, nowMs));
            }
        }
        // Slots held by slow transfers past their share, while a fetch a faster holder could serve waits.
        // (The slow ones are counted first: cheap, and most ticks nothing slow runs, so the wants are not scanned.)
        while (active >= MAX_ACTIVE && excessSlow(true, nowMs) != null) {
            Map.Entry<String, Want> waiting = waitingForFaster(nowMs);
            Map.Entry<String, Want> excess = waiting == null ? null : excessSlow(waiting.getValue().needed, nowMs);
            if (excess == null) {
                break;
            }
            Want slowWant = excess.getValue();
            Start stopped = new Start(slowWant.current.peer, excess.getKey());
            requeue(slowWant, nowMs);
            Holder h = firstReady(waiting.getValue(), nowMs);
            waiting.getValue().queue.remove(h);
            moves.add(new Move(stopped, begin(waiting.getValue(), h, waiting.getKey(), nowMs)));
        }
        return moves;
    }

    /** What a transfer must advance per stall period not to be slow now: the floor, or 1/8 of the best seen lately. */
    long slowBar(long nowMs) {
        long relative = nowMs - bestAtMs <= SLOW_MEMORY_MS ? bestBytes / SLOW_RELATIVE : 0;
        return Math.max(slowBytes, relative);
    }

    /** A transfer advanced {@code perPeriod} bytes per stall period: the best lately, if it beats it or the best aged out. */
    private void sawRate(long perPeriod, long nowMs) {
        if (perPeriod >= bestBytes || nowMs - bestAtMs > SLOW_MEMORY_MS) {
            bestBytes = perPeriod;
            bestAtMs = nowMs;
        }
    }

    /** {@code from} delivered {@code commit}'s {@code bytes}: the whole transfer's rate counts towards the relative bar. */
    void deliveredBytes(PublicId from, String commit, long bytes, long nowMs) {
        Want want = wants.get(commit);
        if (want != null && want.current != null && want.current.peer.equals(from) && bytes > 0) {
            sawRate(bytes * config.fetchStall().toMillis() / Math.max(1_000, nowMs - want.startedMs), nowMs);
        }
    }

    /** Whether {@code peer} ran a slow transfer lately. */
    boolean isSlow(PublicId peer, long nowMs) {
        Long until = slowUntil.get(peer);
        return until != null && until > nowMs;
    }

    private Move moveOff(Want want, String commit, Holder faster, long nowMs) {
        Start stopped = new Start(want.current.peer, commit);
        requeue(want, nowMs);
        want.queue.remove(faster);
        return new Move(stopped, begin(want, faster, commit, nowMs));
    }

    /** The current transfer stops, no fault of its holder: back to the queue's end, its tries untouched. */
    private void requeue(Want want, long nowMs) {
        Holder h = want.current;
        want.current = null;
        release(h.peer);
        h.notBeforeMs = nowMs;
        want.queue.addLast(h);
    }

    /** The first queued holder of {@code want} that is due, has a slot and is not known slow. */
    private Holder firstReady(Want want, long nowMs) {
        for (Holder h : want.queue) {
            if (h.notBeforeMs <= nowMs && usable(h.peer, nowMs) && !isSlow(h.peer, nowMs)) {
                return h;
            }
        }
        return null;
    }

    /** A want without a transfer, not dormant, that a holder not known slow could start now (needed ones first). */
    private Map.Entry<String, Want> waitingForFaster(long nowMs) {
        Map.Entry<String, Want> found = null;
        for (Map.Entry<String, Want> e : wants.entrySet()) {
            Want w = e.getValue();
            if (w.current == null && !w.dormant && firstReady(w, nowMs) != null) {
                if (w.needed) {
                    return e;
                }
                if (found == null) {
                    found = e;
                }
            }
        }
        return found;
    }

    /**
     * A slow transfer past the slow share, the one with fewest bytes: of a slow peer running more
     * than its one, or else of all of them when more than {@link #MAX_SLOW_ACTIVE} run. One the
     * node's work needs gives its slot up only to another the work needs.
     */
    private Map.Entry<String, Want> excessSlow(boolean forNeeded, long nowMs) {
        Map<PublicId, Integer> perPeer = new HashMap<>();
        List<Map.Entry<String, Want>> slow = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entrySet()) {
            Want w = e.getValue();
            if (w.current != null && isSlow(w.current.peer, nowMs)) {
                slow.add(e);
                perPeer.merge(w.current.peer, 1, Integer::sum);
            }
        }
        boolean perPeerExcess = perPeer.values().stream().anyMatch(n -> n > MAX_ACTIVE_PER_SLOW_PEER);
        if (!perPeerExcess && slow.size() <= MAX_SLOW_ACTIVE) {
            return null;
        }
        Map.Entry<String, Want> fewest = null;
        for (Map.Entry<String, Want> e : slow) {
            boolean candidate = (!perPeerExcess || perPeer.get(e.getValue().current.peer) > MAX_ACTIVE_PER_SLOW_PEER)
                    && (forNeeded || !e.getValue().needed);
            if (candidate && (fewest == null || e.getValue().bytes < fewest.getValue().bytes)) {
                fewest = e;
            }
        }
        return fewest;
    }

    /** Whether {@code from} is the peer the outstanding fetch of {@code commit} was sent to. */
    boolean isCurrent(PublicId from, String commit) {
        Want want = wants.get(commit);
        return want != null && want.current != null && want.current.peer.equals(from);
    }

    /**
     * The commit is now held. Returns who is known to hold it too (no need to announce it to them),
     * and, through {@code cancel}, the outstanding fetch that became pointless.
     */
    Set<PublicId> markHeld(String commit, List<Start> cancel) {
        if (!held.add(commit)) {
            return Set.of();
        }
        recent.addLast(commit);
        if (recent.size() > config.maxCommitsPerInventory()) {
            recent.removeFirst();
        }
        Want want = removeWant(commit);
        if (want == null) {
            return Set.of();
        }
        if (want.current != null) {
            release(want.current.peer);
            cancel.add(new Start(want.current.peer, commit));
        }
        return want.announcers;
    }

    /** The commit is no longer held (the repository gave it up): a later announcement or want fetches it again. */
    void unheld(String commit) {
        if (held.remove(commit)) {
            recent.remove(commit);
        }
    }

    /**
     * The outstanding fetch from {@code from} failed. When {@code mayRetry} (a stall or a lost
     * connection may be transient) the holder goes to the back of the queue with a growing delay.
     * Returns the next fetch to start now, if a holder is ready.
     */
    Start failed(PublicId from, String commit, boolean mayRetry, long nowMs) {
        return failed(from, commit, mayRetry, false, nowMs);
    }

    /**
     * As {@link #failed(PublicId, String, boolean, long)}; {@code declined} says the holder answered
     * "not now" (busy, unable): retried like a transient failure, and counted towards its rest.
     */
    Start failed(PublicId from, String commit, boolean mayRetry, boolean declined, long nowMs) {
        Want want = wants.get(commit);
        if (want == null || want.current == null || !want.current.peer.equals(from)) {
            return null;
        }
        Holder failedHolder = want.current;
        want.current = null;
        release(failedHolder.peer);
        if (declined) {
            declines.declined(from, nowMs);
        }
        if (mayRetry || declined) {
            boolean triesUsed = ++failedHolder.attempts >= MAX_ATTEMPTS || declined && declines.declinesAfterRest(from);
            if (!triesUsed) {
                failedHolder.notBeforeMs = nowMs + (config.redialBase().toMillis() << failedHolder.attempts);
                want.queue.addLast(failedHolder);
            } else if (want.spent.size() < 2 * MAX_HOLDERS) {
                want.spent.add(from);
            }
        }
        return active < MAX_ACTIVE && !want.dormant ? next(want, commit, nowMs) : null;
    }

    /** {@code peer} delivered a bundle: any rest its declines earned ends. */
    void delivered(PublicId peer) {
        declines.delivered(peer);
    }

    /** Whether {@code peer} declined so often lately that it is not asked for now (see {@link Declines}). */
    boolean resting(PublicId peer, long nowMs) {
        return declines.resting(peer, nowMs);
    }

    /**
     * The link that carried {@code peer}'s announcements closed. Its claims lapse: withdrawals ride
     * on the link, so a commit it gave up while unlinked (more than its next greeting can name) is
     * not a plain lie when asked. They are remembered for {@link #LAPSED_CLAIM_MS} as lapsed, so
     * that dropping the link and linking again is not a free way to end every claim before saying
     * "not found" (see {@link #claimOf}). Its next greeting claims again what it still holds; it stays
     * a holder to ask meanwhile.
     */
    void unclaim(PublicId peer, long nowMs) {
        wants.values().forEach(w -> {
            if (w.claimed.remove(peer)) {
                w.lapsed.put(peer, nowMs);
            }
        });
    }

    /** Whether, and how, {@code peer} claimed to hold {@code commit}: on its current link, on an ended one lately, or not. */
    Claim claimOf(PublicId peer, String commit, long nowMs) {
        Want want = wants.get(commit);
        if (want == null) {
            return Claim.NONE;
        }
        if (want.claimed.contains(peer)) {
            return Claim.LIVE;
        }
        Long endedMs = want.lapsed.get(peer);
        return endedMs != null && nowMs - endedMs <= LAPSED_CLAIM_MS ? Claim.LAPSED : Claim.NONE;
    }

    /**
     * {@code peer} has a new link: the tries it spent while unreachable (down, restarting, cut off)
     * are forgotten, so the claims of its greeting queue it again. A sole holder that was down when
     * its tries ran out would otherwise never be asked again. A rogue buys more tries only with a
     * new handshake each time.
     */
    void relinked(PublicId peer) {
        wants.values().forEach(w -> w.spent.remove(peer));
    }

    /**
     * {@code peer} withdrew {@code commit} (it gave it up): it is not asked for it again, and, unless
     * {@code stillClaimed}, a "not found" from it is no longer a false claim. Returns whether a fetch
     * of it from that peer is in flight (its answer is still awaited).
     */
    boolean withdrawn(PublicId peer, String commit, boolean stillClaimed) {
        Want want = wants.get(commit);
        if (want == null) {
            return false;
        }
        want.queue.removeIf(h -> h.peer.equals(peer));
        want.announcers.remove(peer);
        if (!stillClaimed) {
            want.claimed.remove(peer);
            want.lapsed.remove(peer);
        }
        return want.current != null && want.current.peer.equals(peer);
    }

    /** Drops a peer from every holder queue (it was banned); returns the fetches it had outstanding. */
    List<Start> forget(PublicId peer) {
        List<Start> outstanding = new ArrayList<>();
        wants.forEach((commit, want) -> {
            want.queue.removeIf(h -> h.peer.equals(peer));
            want.announcers.remove(peer);
            want.claimed.remove(peer);
            want.lapsed.remove(peer);
            if (want.current != null && want.current.peer.equals(peer)) {
                outstanding.add(new Start(peer, commit));
            }
        });
        return outstanding;
    }

    /** Outstanding fetches without progress for fetchStall. */
    List<Start> stalled(long nowMs) {
        List<Start> out = new ArrayList<>();
        long stall = config.fetchStall().toMillis();
        wants.forEach((commit, want) -> {
            if (want.current != null && nowMs - want.lastProgressMs >= stall) {
                out.add(new Start(want.current.peer, commit));
            }
        });
        return out;
    }

    /**
     * Starts fetches, the needed ones first, for wanted commits whose next holder became ready while
     * a slot is free, and forgets wants nobody can serve any more once their announcements are older
     * than seenTtl.
     */
    List<Start> ready(long nowMs) {
        List<Start> out = new ArrayList<>();
        long ttl = config.seenTtl().toMillis();
        for (boolean neededPass : new boolean[] {true, false}) {
            for (Iterator<Map.Entry<String, Want>> it = wants.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Want> e = it.next();
                Want want = e.getValue();
                if (want.current != null || want.needed != neededPass) {
                    continue;
                }
                if (want.queue.isEmpty() || want.dormant) {
                    if (!want.needed && nowMs - want.touchedMs > ttl) {
                        it.remove();
                        unorigin(e.getKey(), want);
                    }
                    continue;
                }
                if (active >= MAX_ACTIVE) {
                    continue;
                }
                Start start = next(want, e.getKey(), nowMs);
                if (start != null) {
                    out.add(start);
                }
            }
        }
        return out;
    }

    private Start next(Want want, String commit, long nowMs) {
        for (Iterator<Holder> it = want.queue.iterator(); it.hasNext(); ) {
            Holder h = it.next();
            if (h.notBeforeMs <= nowMs && usable(h.peer, nowMs)) {
                it.remove();
                return begin(want, h, commit, nowMs);
            }
        }
        return null;
    }

    /** The holders queued for {@code commit} after the current one, in the order they would be asked. */
    List<PublicId> queued(String commit) {
        Want want = wants.get(commit);
        List<PublicId> out = new ArrayList<>();
        if (want != null) {
            want.queue.forEach(h -> out.add(h.peer));
        }
        return out;
    }

    /** The outstanding fetch's holder, then the queued ones. */
    List<PublicId> holdersOf(String commit) {
        List<PublicId> out = new ArrayList<>();
        Want want = wants.get(commit);
        if (want != null && want.current != null) {
            out.add(want.current.peer);
        }
        out.addAll(queued(commit));
        return out;
    }

    private boolean hasSlot(PublicId peer, long nowMs) {
        return activeByPeer.getOrDefault(peer, 0) < (isSlow(peer, nowMs) ? MAX_ACTIVE_PER_SLOW_PEER : MAX_ACTIVE_PER_PEER);
    }

    private boolean usable(PublicId peer, long nowMs) {
        return hasSlot(peer, nowMs) && !declines.resting(peer, nowMs);
    }

    /** When a queued holder may be asked: its backoff, or its rest if longer. */
    private long dueMs(Holder h) {
        return Math.max(h.notBeforeMs, declines.restUntilMs(h.peer));
    }

    private Want removeWant(String commit) {
        Want want = wants.remove(commit);
        if (want != null) {
            unorigin(commit, want);
        }
        return want;
    }

    private void unorigin(String commit, Want want) {
        if (want.origin == null) {
            return;
        }
        LinkedHashSet<String> introduced = byOrigin.get(want.origin);
        if (introduced != null) {
            introduced.remove(commit);
            if (introduced.isEmpty()) {
                byOrigin.remove(want.origin);
            }
        }
    }

    /**
     * The table is full and {@code newcomer} announces a commit not in it: frees a place if some peer
     * introduced more wants than the newcomer has plus one (max-min, as the keep budget shares), by
     * giving up that peer's oldest want that no fetch is running for and the work does not need.
     */
    private boolean evictFor(PublicId newcomer) {
        LinkedHashSet<String> own = byOrigin.get(newcomer);
        int mine = own == null ? 0 : own.size();
        PublicId top = null;
        int most = mine + 1;
        for (Map.Entry<PublicId, LinkedHashSet<String>> e : byOrigin.entrySet()) {
            if (e.getValue().size() > most) {
                most = e.getValue().size();
                top = e.getKey();
            }
        }
        if (top == null) {
            return false;
        }
        for (String commit : byOrigin.get(top)) {
            Want want = wants.get(commit);
            if (want != null && want.current == null && !want.needed) {
                removeWant(commit);
                return true;
            }
        }
        return false;
    }

    private void release(PublicId peer) {
        active--;
        activeByPeer.computeIfPresent(peer, (p, n) -> n > 1 ? n - 1 : null);
    }

    private Start begin(Want want, Holder holder, String commit, long nowMs) {
        active++;
        activeByPeer.merge(holder.peer, 1, Integer::sum);
        want.current = holder;
        want.lastProgressMs = nowMs;
        want.countedBytes = 0;
        want.bytes = 0;
        want.excusedMs = 0;
        want.startedMs = nowMs;
        want.windowMs = nowMs;
        want.windowBytes = 0;
        return new Start(holder.peer, commit);
    }
}
