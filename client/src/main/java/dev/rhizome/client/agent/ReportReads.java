package dev.rhizome.client.agent;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
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
 * Many experiments' reports, as few requests as the coordinator allows: {@code GET
 * /v1/experiment-reports} answers up to {@value #AT_ONCE} in one (round 30). A listing that shows
 * each entry's outcome (`log`, `brief`'s tried experiments, the similar work of `claim` and `brief`)
 * made one {@code GET /v1/experiment} per entry: a brief ten, a page of 100 at a coordinator 100 ms
 * away 10 s. A coordinator older than the route (404), and the reports an answer left out to stay
 * within its bytes, are read one at a time, a few in flight at once.
 */
public final class ReportReads {
    /** Requests in flight at once, where reports are read one at a time. */
    static final int IN_FLIGHT = 4;
    /** Commits one batched read names (the coordinator's {@code ExperimentReports.REPORTS_AT_ONCE}). */
    static final int AT_ONCE = 20;

    /** One experiment's report, or why it could not be read (the listing still shows the entry). */
    public record ReportRead(ExperimentReport report, String unread) {
    }

    private ReportReads() {
    }

    /** Each distinct commit's report, in the order given. */
    public static Map<String, ReportRead> read(CoordinatorClient client, List<String> commits) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(commits));
        Map<String, ReportRead> batched = new LinkedHashMap<>();
        List<String> alone = new ArrayList<>();
        for (int from = 0; from < distinct.size(); from += AT_ONCE) {
            List<String> chunk = distinct.subList(from, Math.min(distinct.size(), from + AT_ONCE));
            if (chunk.size() == 1 || !alone.isEmpty() && batched.isEmpty()) {
                alone.addAll(chunk);  // one report, or a coordinator without the batched route
                continue;
            }
            try {
                ExperimentReportList answer = client.experimentReports(chunk);
                for (ExperimentReport r : answer.getReportsList()) {
                    batched.put(Records.experiment(r.getExperiment()).getCommit(), new ReportRead(r, null));
                }
                for (String c : answer.getUnknownList()) {
                    batched.put(c, new ReportRead(null, "cannot read its outcome: commit " + c
                            + " is not a registered experiment"));
                }
                chunk.stream().filter(c -> !batched.containsKey(c)).forEach(alone::add);  // left out for size
            } catch (CoordinatorException e) {
                if (!(e.isRefusal() && e.code() == Error.Code.NOT_FOUND)) {
                    ReportRead failed = unread(e);
                    chunk.forEach(c -> batched.put(c, failed));
                    continue;
                }
                alone.addAll(chunk);  // older than the route: each alone, as before
            } catch (RuntimeException e) {
                ReportRead failed = unread(e);
                chunk.forEach(c -> batched.put(c, failed));
            }
        }
        Map<String, ReportRead> single = readEach(client, alone);
        Map<String, ReportRead> reads = new LinkedHashMap<>();
        distinct.forEach(c -> reads.put(c, batched.containsKey(c) ? batched.get(c) : single.get(c)));
        return reads;
    }

    /** Each commit's report by its own {@code GET /v1/experiment}, a few in flight at once. */
    private static Map<String, ReportRead> readEach(CoordinatorClient client, List<String> distinct) {
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
