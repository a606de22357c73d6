package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobText;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the coordinator where this node serves bundles and which commits it holds, so runners
 * can be pointed at it, and whether it claims work ({@link Availability}): a node its volunteer
 * paused was listed as one more idle runner. Sent on every change of inventory or availability and
 * periodically as a heartbeat. Each
 * commit new to the inventory is also passed to {@code neighbours} (the gossip layer), however it
 * got into the repository: made by the explorer, fetched, or imported by an agent's command.
 */
public final class InventoryAnnouncer {
    private static final Logger log = LoggerFactory.getLogger(InventoryAnnouncer.class);
    static final int MAX_COMMITS = 10_000;

    private final CoordinatorClient coordinator;
    private final NodeRepository repository;
    private final String host;
    private final int port;
    private final String hardwareClass;
    private final Clock clock;
    private final Consumer<String> neighbours;
    private final Set<String> toldNeighbours = new HashSet<>();
    private List<String> lastAnnounced = List.of();
    private Availability lastAvailability = Availability.CLAIMING;
    private long lastAnnouncedMs;
    /** The last announcement's time_ms: each is signed later, as the coordinator keeps only a later one. */
    private long lastSignedMs;
    private final RepeatedLines refusals;
    private volatile String refusal;
    /** Why the last announcement was not taken (refused, or the coordinator unreachable); null once one is. */
    private volatile String lastFailure;
    /**
     * What the last announcement made at once (a pause, a resume, a new commit, a command's request)
     * told, once the coordinator took it; null before one is. The reporter's pass also announces a
     * change it sees, so the coordinator's list alone cannot tell "at once" from "at the next pass".
     */
    private volatile Availability lastTakenAtOnce;

    public InventoryAnnouncer(CoordinatorClient coordinator, NodeRepository repository, String host, int port,
            String hardwareClass, Clock clock, Consumer<String> neighbours) {
        this.coordinator = coordinator;
        this.repository = repository;
        this.host = host;
        this.port = port;
        this.hardwareClass = hardwareClass;
        this.clock = clock;
        this.neighbours = neighbours;
        this.refusals = new RepeatedLines(clock, Duration.ofMinutes(10));
    }

    /**
     * Whether this node claims work, as it tells the coordinator: {@code paused} by its volunteer,
     * and {@code notClaiming}, in a few stable words, why it claims nothing now ("" while it claims).
     * Stable: a reason whose words changed at every look (seconds since input, MiB free) would be
     * announced again at every look.
     */
    public record Availability(boolean paused, String notClaiming) {
        public static final Availability CLAIMING = new Availability(false, "");

        public Availability {
            notClaiming = JobText.printable(notClaiming, MAX_NOT_CLAIMING_CHARS - 3);  // and its "..."
        }
    }

    /** The coordinator's bound on {@code not_claiming} (RecordBounds): a longer reason is cut here, not refused there. */
    static final int MAX_NOT_CLAIMING_CHARS = 300;

    /** {@link #announceIfDue(long, Availability)} of a node that claims. */
    public boolean announceIfDue(long heartbeatMs) {
        return announceIfDue(heartbeatMs, Availability.CLAIMING);
    }

    /**
     * Announces when the inventory or the availability changed or {@code heartbeatMs} passed; false
     * if the coordinator is unreachable.
     */
    public synchronized boolean announceIfDue(long heartbeatMs, Availability availability) {
        return sendIfDue(heartbeatMs, availability, false);
    }

    /**
     * The same, with the availability read once this announcement's turn has come: read before it,
     * an announcement waiting on one in flight (a coordinator answering slowly) could send a
     * "claiming" read before a pause, signed after the pause's own announcement, and the coordinator
     * would keep the stale one.
     */
    public synchronized boolean announceIfDue(long heartbeatMs, Supplier<Availability> availability) {
        return sendIfDue(heartbeatMs, availability.get(), false);
    }

    private boolean sendIfDue(long heartbeatMs, Availability availability, boolean atOnce) {
        List<String> commits = capped(repository.commits());
        for (String commit : commits) {
            if (toldNeighbours.add(commit)) {
                neighbours.accept(commit);
            }
        }
        long now = clock.millis();
        if (commits.equals(lastAnnounced) && availability.equals(lastAvailability) && now - lastAnnouncedMs < heartbeatMs) {
            return true;
        }
        // a pause and a resume within one millisecond: the second is kept only if signed later
        long signedMs = Math.max(now, lastSignedMs + 1);
        try {
            coordinator.announce(announcement(coordinator.identity().publicId(), host, port, commits, hardwareClass,
                    signedMs, availability));
            lastSignedMs = signedMs;
            lastAnnounced = commits;
            lastAvailability = availability;
            lastAnnouncedMs = now;
            refusals.reset();
            refusal = null;
            lastFailure = null;
            if (atOnce) {
                lastTakenAtOnce = availability;
            }
            return true;
        } catch (CoordinatorException e) {
            lastFailure = e.getMessage();
            if (e.isRefusal()) {
                // A refusal (a banned key, an address the coordinator will not list) stands until
                // something changes: asked again at the next heartbeat or inventory change, not on
                // every result and retry, and said once in a while rather than every two seconds.
                lastSignedMs = signedMs;
                lastAnnounced = commits;
                lastAvailability = availability;
                lastAnnouncedMs = now;
                refusal = e.getMessage();
                String line = refusals.show(e.getMessage());
                if (line != null) {
                    log.warn("the coordinator refused this node's announcement: {}; runners are not pointed at this "
                            + "node's bundles until it takes one (asked again every {} s)", line, heartbeatMs / 1000);
                }
            } else {
                log.debug("announcement failed: {}", e.getMessage()); // the work loop already says the coordinator is away
            }
            return false;
        }
    }

    /** The class this node announces: its first GPU's, or its CPU's. */
    public String hardwareClass() {
        return hardwareClass;
    }

    /**
     * What an announcement made on request told the coordinator of this node, and whether the
     * coordinator took it ({@code problem}: why not, else null).
     */
    public record Told(String hardwareClass, boolean paused, String notClaiming, boolean announced, String problem) {
    }

    /** {@link #announceNow(Availability)}, saying what it told and whether it was taken. */
    public Told announceTelling(Availability availability) {
        return announceTelling(() -> availability);
    }

    /** The same, with the availability read in this announcement's turn ({@link #announceIfDue(long, Supplier)}). */
    public synchronized Told announceTelling(Supplier<Availability> current) {
        Availability availability = current.get();
        lastAnnouncedMs = 0;
        boolean taken = sendIfDue(0, availability, true);
        return new Told(hardwareClass, availability.paused(), availability.notClaiming(), taken,
                taken ? null : Optional.ofNullable(lastFailure).orElse("the coordinator did not take it"));
    }

    /** Why the coordinator refused the last announcement, while it does (empty once one is taken). */
    public Optional<String> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** What a node tells the coordinator about itself; at most {@link #MAX_COMMITS}, the coordinator's limit. */
    public static NodeAnnouncement announcement(PublicId node, String host, int port, List<String> commits,
            String hardwareClass, long timeMs) {
        return announcement(node, host, port, commits, hardwareClass, timeMs, Availability.CLAIMING);
    }

    /** The same, saying whether the node claims work. */
    public static NodeAnnouncement announcement(PublicId node, String host, int port, List<String> commits,
            String hardwareClass, long timeMs, Availability availability) {
        return NodeAnnouncement.newBuilder()
                .setPaused(availability.paused())
                .setNotClaiming(availability.notClaiming())
                .setNode(node.toByteString())
                .setHost(host).setPort(port)
                .addAllCommits(capped(commits))
                .setHardwareClass(hardwareClass)
                .setTimeMs(timeMs)
                .build();
    }

    private static List<String> capped(List<String> commits) {
        return commits.size() > MAX_COMMITS ? commits.subList(commits.size() - MAX_COMMITS, commits.size()) : commits;
    }

    public boolean announceNow() {
        return announceNow(Availability.CLAIMING);
    }

    /** Announces now, whatever changed: a new commit to point runners at, or a pause or resume to be heard at once. */
    public boolean announceNow(Availability availability) {
        return announceNow(() -> availability);
    }

    /** The same, with the availability read in this announcement's turn ({@link #announceIfDue(long, Supplier)}). */
    public synchronized boolean announceNow(Supplier<Availability> availability) {
        lastAnnouncedMs = 0;
        return sendIfDue(0, availability.get(), true);
    }

    /** The availability the last announcement made at once told the coordinator, once it took one. */
    public Optional<Availability> lastTakenAtOnce() {
        return Optional.ofNullable(lastTakenAtOnce);
    }
}
