package dev.rhizome.coordinator.store;

import java.io.IOException;

/**
 * The store's host name did not resolve when the coordinator started: a wrong address (a typo, a
 * host of another network), refused at once rather than waited for as a database that is down.
 * A database that resolves but does not answer (refused, still starting after a reboot) is still
 * waited for ({@link AwaitedStore}), and so is one that was reached and later went away, whatever
 * its name does then.
 */
public final class UnresolvableStoreHost extends IOException {
    private final String host;

    UnresolvableStoreHost(String address, String host, Throwable cause) {
        super("cannot open coordinator database " + address + ": its host '" + host + "' does not resolve "
                + "(no such name)", cause);
        this.host = host;
    }

    /** The host name as the address gave it. */
    public String host() {
        return host;
    }
}
