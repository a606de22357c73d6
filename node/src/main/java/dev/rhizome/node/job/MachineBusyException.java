package dev.rhizome.node.job;

import java.io.IOException;

/**
 * A job stopped at its wall-clock bound having spent most of its time waiting for a CPU that other
 * work on this machine held ({@link JobClock#starvedOfCpu}). Its run is not reported: a TIMEOUT would
 * tell the network the commit is too slow when this node was. The node gives the unit back
 * ({@code POST /v1/leases/give-back}): the coordinator issues it again at once, nothing counted
 * against the commit; a coordinator out of reach or older than the route lets the lease run out.
 */
public final class MachineBusyException extends IOException {
    public MachineBusyException(String reason) {
        super(reason);
    }
}
