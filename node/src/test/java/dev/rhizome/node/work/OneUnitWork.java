package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A slot's work that hands out one unit, once, and is otherwise a node with nothing to do: the
 * commit is already here, the lease is renewed as it stands, the gate is open. A test overrides
 * the step it is about.
 */
abstract class OneUnitWork implements SlotWorker.Work {
    /** Each claim's {@code mayExplore}, in order. */
    final List<Boolean> claims = new CopyOnWriteArrayList<>();
    final AtomicInteger explored = new AtomicInteger();
    final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicBoolean handedOut = new AtomicBoolean();
    private final WorkUnit unit;

    OneUnitWork(WorkUnit unit) {
        this.unit = unit;
    }

    @Override
    public WorkUnit claim(Slot slot, boolean mayExplore, CoordinatorClient.Recorder keep) throws IOException {
        claims.add(mayExplore);
        if (handedOut.getAndSet(true)) {
            return null;
        }
        keep.record(unit);
        return unit;
    }

    @Override
    public void fetch(WorkUnit u) throws Exception {
        // the commit is here already
    }

    @Override
    public long renew(WorkUnit u) throws CoordinatorException {
        return u.getLeaseDeadlineMs();
    }

    @Override
    public void report(Slot slot, Result result) throws IOException {
    }

    @Override
    public void explore(WorkUnit u) throws Exception {
        explored.incrementAndGet();
    }

    @Override
    public void closeUnexplored(WorkUnit u, String reason) throws CoordinatorException {
    }

    @Override
    public Optional<String> gateClosed() {
        return Optional.empty();
    }

    @Override
    public boolean stopping() {
        return stop.get();
    }

    @Override
    public long backoffMs(long current) {
        return 50;
    }
}
