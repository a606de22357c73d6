package dev.rhizome.node.job;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts a job off the network: the job starts in a new, empty network namespace (only a loopback
 * interface, and that one down), through util-linux's {@code unshare}, which replaces itself with
 * the job so the job keeps the pid the runner watches. User namespaces let an unprivileged
 * volunteer do this; where the kernel or the machine doesn't allow it, jobs run with the network
 * and the node says so once, loudly.
 */
public final class NetworkSandbox {
    private static final Logger log = LoggerFactory.getLogger(NetworkSandbox.class);
    private static final List<String> PREFIX = List.of("unshare", "--net", "--map-root-user", "--");
    private static volatile Boolean available;

    private NetworkSandbox() {
    }

    /** Whether jobs here run without network; probed once by starting a process in a new namespace. */
    public static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (NetworkSandbox.class) {
                if (available == null) {
                    available = probe();
                    if (!available) {
                        log.warn("jobs will run WITH network access: this machine can't create a network namespace "
                                + "(needs util-linux unshare and user namespaces enabled)");
                    }
                }
                a = available;
            }
        }
        return a;
    }

    /** The command that runs {@code command} without network, or the command itself when that's impossible. */
    static List<String> wrap(List<String> command) {
        if (!available()) {
            return command;
        }
        List<String> wrapped = new java.util.ArrayList<>(PREFIX);
        wrapped.addAll(command);
        return wrapped;
    }

    private static boolean probe() {
        List<String> command = new java.util.ArrayList<>(PREFIX);
        command.add("true");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
