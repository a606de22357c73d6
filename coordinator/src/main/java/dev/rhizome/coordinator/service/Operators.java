package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.protocol.identity.PublicId;
import java.util.Set;

/** Who may publish seeds and open directions: the configured operators, or anyone when none are. */
public final class Operators {
    private final Set<PublicId> keys;

    public Operators(Set<PublicId> keys) {
        this.keys = Set.copyOf(keys);
    }

    public boolean isOpen() {
        return keys.isEmpty();
    }

    /** The operators' keys, in a fixed order (an export's header lists them); empty where anyone may act. */
    public java.util.List<PublicId> keys() {
        return keys.stream().sorted(java.util.Comparator.comparing(PublicId::toString)).toList();
    }

    void require(PublicId signer, String action) {
        if (!keys.isEmpty() && !keys.contains(signer)) {
            throw Rejection.forbidden(signer + " is not an operator of this coordinator and may not " + action);
        }
    }
}
