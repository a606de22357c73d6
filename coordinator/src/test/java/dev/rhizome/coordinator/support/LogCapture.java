package dev.rhizome.coordinator.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects what the coordinator logs while a test runs, formatted as it would be written. */
public final class LogCapture implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    /** The coordinator's logger's own level before {@link #everyLevel} (null: it had none), put back at close. */
    private ch.qos.logback.classic.Level before;
    private boolean changed;

    public LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    /**
     * A capture that also sees the coordinator's DEBUG lines: lines a client causes go out at WARN
     * only within their budget (`WarnBudget`, shared by every coordinator of this JVM), so a test
     * after another that spent it finds them at DEBUG.
     */
    public static LogCapture everyLevel() {
        LogCapture capture = new LogCapture();
        Logger coordinator = (Logger) LoggerFactory.getLogger("dev.rhizome.coordinator");
        capture.before = coordinator.getLevel();
        capture.changed = true;
        coordinator.setLevel(ch.qos.logback.classic.Level.DEBUG);
        return capture;
    }

    /** Formatted messages of coordinator events at any level that mention {@code text}. */
    public List<String> linesMentioning(String text) {
        List<ILoggingEvent> events;
        synchronized (appender) {
            events = List.copyOf(appender.list);
        }
        return events.stream().filter(e -> e.getLoggerName().startsWith("dev.rhizome.coordinator"))
                .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
    }

    /** Formatted messages of events at WARN or above, from coordinator classes. */
    public List<String> warnings() {
        List<ILoggingEvent> events;
        synchronized (appender) {  // the appender adds under its own lock
            events = List.copyOf(appender.list);
        }
        return events.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .filter(e -> e.getLoggerName().startsWith("dev.rhizome.coordinator"))
                .map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    /** Coordinator events at WARN or above that carry a stack trace, as "message: exception". */
    public List<String> withStackTraces() {
        return withStackTracesFrom("dev.rhizome.coordinator");
    }

    /** As {@link #withStackTraces}, from loggers whose names start with any of {@code prefixes} (Netty's: "io.netty"). */
    public List<String> withStackTracesFrom(String... prefixes) {
        List<ILoggingEvent> events;
        synchronized (appender) {
            events = List.copyOf(appender.list);
        }
        return events.stream()
                .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .filter(e -> java.util.Arrays.stream(prefixes).anyMatch(e.getLoggerName()::startsWith))
                .filter(e -> e.getThrowableProxy() != null)
                .map(e -> e.getFormattedMessage() + ": " + e.getThrowableProxy().getClassName() + ": "
                        + e.getThrowableProxy().getMessage())
                .toList();
    }

    /**
     * What the coordinator complained of, as "LEVEL logger: message": every line at WARN or above and
     * every refusal at any level (with {@link #everyLevel}), less those whose message starts with one of
     * {@code expected}. For tests that our own client, used as documented, never makes it refuse or warn.
     */
    public List<String> complaints(String... expected) {
        List<ILoggingEvent> events;
        synchronized (appender) {
            events = List.copyOf(appender.list);
        }
        return events.stream()
                .filter(e -> e.getLoggerName().startsWith("dev.rhizome.coordinator"))
                .filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
                        || e.getFormattedMessage().contains("refused with"))
                .filter(e -> java.util.Arrays.stream(expected).noneMatch(e.getFormattedMessage()::startsWith))
                .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage())
                .toList();
    }

    public List<String> warningsMentioning(String text) {
        return warnings().stream().filter(m -> m.contains(text)).toList();
    }

    @Override
    public void close() {
        if (changed) {
            ((Logger) LoggerFactory.getLogger("dev.rhizome.coordinator")).setLevel(before);
        }
        root.detachAppender(appender);
        appender.stop();
    }
}
