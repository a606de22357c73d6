package dev.rhizome.node.api;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs {@link ReachabilityNotices}' lines for a node: trouble as a warning, recovery as information. */
public final class ReachabilityLog implements CoordinatorClient.Reachability {
    private static final Logger log = LoggerFactory.getLogger(ReachabilityLog.class);
    /** How often a lasting trouble is told again. */
    public static final Duration PERIOD = Duration.ofMinutes(1);

    private final ReachabilityNotices notices;
    private final Clock clock;

    public ReachabilityLog(String coordinator, Clock clock) {
        this(coordinator, "--coordinator", clock);
    }

    /** @param setBy what set the coordinator's URL, named in the line that says it cannot be reached */
    public ReachabilityLog(String coordinator, String setBy, Clock clock) {
        this.notices = new ReachabilityNotices(coordinator, setBy, PERIOD);
        this.clock = clock;
    }

    @Override
    public void answered() {
        String line = notices.answered(clock.millis());
        if (line != null) {
            log.info(line);
        }
    }

    @Override
    public void unreachable(String why) {
        String line = notices.unreachable(why, clock.millis());
        if (line != null) {
            log.warn(line);
        }
    }

    @Override
    public void slow(String call, Duration waited) {
        String line = notices.slow(call, waited, clock.millis());
        if (line != null) {
            log.warn(line);
        }
    }
}
