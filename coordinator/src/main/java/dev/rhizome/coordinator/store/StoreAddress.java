package dev.rhizome.coordinator.store;

import java.util.List;

/**
 * A coordinator's store address, parsed and checked without opening anything: {@link Embedded}
 * (empty or {@code sqlite}: the SQLite file in the data directory) or a {@link PostgresAddress}.
 * The command line checks it with this before the coordinator starts, and {@link Stores} opens
 * what it parsed, so an address is never refused one way at the start and another when opened.
 */
public sealed interface StoreAddress permits StoreAddress.Embedded, PostgresAddress {

    /** The embedded SQLite store of the data directory. */
    record Embedded() implements StoreAddress {
    }

    static StoreAddress parse(String address) throws InvalidStoreAddress {
        if (address.isEmpty() || address.equals("sqlite")) {
            return new Embedded();
        }
        if (PostgresStore.handles(address)) {
            return PostgresAddress.parse(address);
        }
        int colon = address.indexOf(':');
        String scheme = colon > 0 && address.regionMatches(colon, "://", 0, 3) ? address.substring(0, colon) : null;
        throw new InvalidStoreAddress(address, (scheme == null ? "not a store address"
                : "unknown store kind '" + scheme + "'") + ": the kinds are sqlite and postgresql",
                scheme == null ? address : scheme, List.of("sqlite", "postgresql"));
    }
}
