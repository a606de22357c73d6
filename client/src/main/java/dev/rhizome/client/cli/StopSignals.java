package dev.rhizome.client.cli;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a callback, for long-running commands that stop cleanly and exit
 * 0. Without a handler the JVM runs its shutdown hooks and exits 143 (or 130), which service
 * managers and scripts read as a failure.
 */
public final class StopSignals {
    private StopSignals() {
    }

    public static void onStop(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> stop.run());
            } catch (IllegalArgumentException unsupported) {
                // This platform has no such signal; the JVM's default handling stays.
            }
        }
    }
}
