package dev.rhizome.node.prefs;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * When the volunteer lets the node start jobs: a list of local-time windows such as
 * {@code 22:00-07:00,12:00-13:30}. A window whose end is before its start runs over midnight;
 * the start is inside, the end is not. No windows means any time.
 */
public record TimeWindows(List<Window> windows) {

    public record Window(LocalTime start, LocalTime end) {
        boolean contains(LocalTime t) {
            if (start.equals(end)) {
                return true;
            }
            return start.isBefore(end) ? !t.isBefore(start) && t.isBefore(end) : !t.isBefore(start) || t.isBefore(end);
        }

        @Override
        public String toString() {
            return start + "-" + end;
        }
    }

    public static final TimeWindows ANY_TIME = new TimeWindows(List.of());

    public TimeWindows {
        windows = List.copyOf(windows);
    }

    /** Parses {@code HH:MM-HH:MM[,HH:MM-HH:MM...]}; blank means any time. */
    public static TimeWindows parse(String text) {
        if (text == null || text.isBlank()) {
            return ANY_TIME;
        }
        List<Window> windows = new ArrayList<>();
        for (String part : text.split(",")) {
            String[] ends = part.trim().split("-");
            if (ends.length != 2) {
                throw new IllegalArgumentException("run-hours: '" + part.trim() + "' is not HH:MM-HH:MM");
            }
            try {
                windows.add(new Window(LocalTime.parse(ends[0].trim()), LocalTime.parse(ends[1].trim())));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("run-hours: '" + part.trim() + "' is not HH:MM-HH:MM");
            }
        }
        return new TimeWindows(windows);
    }

    public boolean allows(LocalTime now) {
        return windows.isEmpty() || windows.stream().anyMatch(w -> w.contains(now));
    }

    @Override
    public String toString() {
        return windows.isEmpty() ? "" : String.join(",", windows.stream().map(Window::toString).toList());
    }
}
