package dev.rhizome.node.job;

import java.io.IOException;

/**
 * A job stopped at its wall-clock bound having spent most of its time waiting for a CPU that other
 * work on this machine held ({@link JobClock#starvedOfCpu}). Its run is not reported: a TIMEOUT would
 * tell the network the commit is too slow when this node was. As when a BOINC client cannot finish a
 * task, the unit's lease runs out, the coordinator counts a failed attempt against this node (not a
 * replica, nothing against the commit) and issues the unit again.
 */
public final class MachineBusyException extends IOException {
    public MachineBusyException(String reason) {
        super(reason);
    }
}
