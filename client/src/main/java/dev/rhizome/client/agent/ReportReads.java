package dev.rhizome.client.agent;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.ExperimentReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Many experiments' reports ({@code GET /v1/experiment}), a few at a time. A listing that shows
 * each entry's outcome (`log`, the similar work of `claim` and `brief`) costs one request per entry:
 * one after another, a page of 100 at a coordinator 100 ms away took 10 s; a few in flight cut that
 * by as many, and stay far inside the coordinator's budget of reads for one address.
 */
public final class ReportReads {
    /** Requests in flight at once. */
    static final int IN_FLIGHT = 4;

    /** One experiment's report, or why it could not be read (the listing still shows the entry). */
    public record ReportRead(ExperimentReport report, String unread) {
    }

    private ReportReads() {
    }

    /** Each distinct commit's report, in the order given. */
    public static Map<String, ReportRead> read(CoordinatorClient client, List<String> commits) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(commits));
        Map<String, ReportRead> reads = new LinkedHashMap<>();
        if (distinct.size() <= 1) {
            distinct.forEach(c -> reads.put(c, readOne(client, c)));
            return reads;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(IN_FLIGHT, distinct.size()), r -> {
            Thread t = new Thread(r, "report-read");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ReportRead>> pending = new ArrayList<>();
            for (String c : distinct) {
                pending.add(pool.submit(() -> readOne(client, c)));
            }
            for (int i = 0; i < distinct.size(); i++) {
                reads.put(distinct.get(i), await(pending.get(i)));
            }
            return reads;
        } finally {
            pool.shutdownNow();
        }
    }

    private static ReportRead await(Future<ReportRead> read) {
        try {
            return read.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ReportRead(null, "cannot read its outcome: interrupted");
        } catch (ExecutionException e) {
            return unread(e.getCause());
        }
    }

    private static ReportRead readOne(CoordinatorClient client, String commit) {
        try {
            return new ReportRead(client.experimentReport(commit), null);
        } catch (CoordinatorException | RuntimeException e) {
            return unread(e);
        }
    }

    private static ReportRead unread(Throwable why) {
        return new ReportRead(null, "cannot read its outcome: " + Untrusted.line(String.valueOf(why.getMessage()), 300));
    }
}
