package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.store.Store;
import java.util.function.Supplier;

/**
 * The id of the network this coordinator serves, as its store keeps it (made once, shared by
 * every coordinator of the store, never changed): read on first use, since a store waited for at
 * start has not answered yet, and kept from then on.
 */
public final class NetworkId implements Supplier<String> {
    private final Store store;
    private volatile String known;

    public NetworkId(Store store) {
        this.store = store;
    }

    @Override
    public String get() {
        String id = known;
        if (id == null) {
            id = store.inReadTransaction(Store.Transaction::networkId);
            known = id;
        }
        return id;
    }
}
