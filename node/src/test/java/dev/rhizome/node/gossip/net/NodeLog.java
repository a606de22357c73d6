package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.protocol.WarnBudget;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * What the node's code logs while a rogue test watches it, so the test can hold each call site to
 * its {@link WarnBudget}. Watching starts late on purpose (after the honest links are up), so the
 * start-up lines do not count against the rogue's minute.
 */
final class NodeLog implements AutoCloseable {
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger nodeLogs = (Logger) LoggerFactory.getLogger("dev.rhizome.node");

    /** From now on, every line the node's code logs is kept. */
    void watch() {
        logged.start();
        nodeLogs.addAppender(logged);
    }

    /** The lines kept so far. */
    List<ILoggingEvent> lines() {
        return logged.list;
    }

    /** Each call site's WARN and ERROR lines within its budget for every minute the test ran (one format, one call site). */
    void assertWarningsWithinBudget(long startedNanos) {
        List<ILoggingEvent> sofar;
        synchronized (logged) { // the node's threads still log: AppenderBase.doAppend appends holding this lock
            sofar = new java.util.ArrayList<>(logged.list);
        }
        Map<String, Long> perSite = sofar.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .collect(Collectors.groupingBy(e -> e.getLoggerName().substring(e.getLoggerName().lastIndexOf('.') + 1) + ": "
                        + e.getMessage().replace(WarnBudget.HELD_BACK, ""), TreeMap::new, Collectors.counting()));
        long minutes = 1 + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos) / WarnBudget.WINDOW_MS;
        assertThat(perSite).as("WARN and ERROR lines per call site in " + minutes + " minute(s)")
                .allSatisfy((site, lines) -> assertThat(lines).as(site).isLessThanOrEqualTo(minutes * WarnBudget.PER_WINDOW));
    }

    @Override
    public void close() {
        nodeLogs.detachAppender(logged);
    }
}
