package dev.rhizome.ops.storm;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Kills a coordinator with SIGKILL while clients claim units and report results as fast as it
 * answers, restarts it on the same port and store, and checks the promise a 200 makes: every
 * result a client was acknowledged is in the store after the restarts, once, byte for byte. The
 * coordinator is a real child process (started by {@code launcher}), its store SQLite in
 * {@code dataDir} or the PostgreSQL at {@code store}. A client whose call failed in flight (the
 * kill) sends the same signed result again once the coordinator is back, as a node's outbox does.
 */
public final class CoordinatorCrash {
    /**
     * @param launcher the command that starts a rhizome role ({@code coordinator ...} is appended)
     * @param store empty for SQLite in {@code dataDir}, or a {@code postgresql://} address
     */
    public record Config(List<String> launcher, Path dataDir, String store, int clients, int units, int kills) {
        public Config {
            if (clients < 1 || clients > 64 || units < 1 || kills < 1) {
                throw new IllegalArgumentException("clients must be 1..64, units and kills positive");
            }
            if (units > clients * 190) {
                throw new IllegalArgumentException("a fresh key may take about 200 leases a day: use more clients");
            }
        }
    }

    /**
     * @param acknowledged results a client got a 200 for
     * @param missing acknowledged results the store does not hold after the restarts (must be empty)
     * @param duplicated units with more than one stored result (must be empty)
     * @param inFlightAtKill calls that failed because the coordinator died under them
     */
    /**
     * {@code leftInTemp}: what the killed coordinators left in their temporary directory (should be
     * nothing); {@code leasedTwice}: units whose claims answered two different keys (must be empty:
     * every lease here outlives the run, so a unit leased again was leased twice); {@code integrity}:
     * SQLite's {@code PRAGMA integrity_check} of the store once the last coordinator stopped ("ok"),
     * or "not checked" for PostgreSQL (the server's own). {@code leasedTwice} sees only the leases
     * whose answers reached a client: a lease committed and then cut from its answer by the kill is
     * seen by {@code storeProblems} alone, which reads the stopped store's own tables
     * ({@link StoreConsistency}: a unit leased to two keys, a result without its unit, a unit with
     * two results) and those of a backup taken while the load runs and the kills land (SQLite's file, or
     * PostgreSQL's pg_dump restored by its printed line into the schema, dropped first: checked the
     * same way, and holding every result acknowledged before it began); each
     * problem one line (must be empty). {@code backups}: how many backups were taken and checked.
     * {@code killsUnderLoad}: the kills that landed while units were still unacknowledged (a kill
     * after the last result tests a restart, not a kill under load).
     */
    public record Report(int kills, int acknowledged, int stored, List<String> missing, List<String> duplicated,
            int inFlightAtKill, List<String> leftInTemp, List<String> leasedTwice, String integrity, double seconds,
            List<String> storeProblems, int backups, int killsUnderLoad) {
        public boolean ok() {
            return missing.isEmpty() && duplicated.isEmpty() && leftInTemp.isEmpty() && leasedTwice.isEmpty()
                    && storeProblems.isEmpty() && (integrity.equals("ok") || integrity.equals(NOT_CHECKED));
        }

        public String toText() {
            return String.format("%d kills under load: %d results acknowledged, %d stored, %d acknowledged but missing,"
                    + " %d units stored twice, %d calls cut by a kill, %d files left in the temporary directory %s,"
                    + " %d units leased to two keys, store integrity: %s, %d problems in the store's tables"
                    + " (%d backups under load checked too), %d kills with units still unacknowledged, %.1f s%n",
                    kills, acknowledged, stored, missing.size(), duplicated.size(), inFlightAtKill, leftInTemp.size(),
                    leftInTemp, leasedTwice.size(), integrity, storeProblems.size(), backups, killsUnderLoad, seconds);
        }
    }

    /** {@link Report#integrity} of a PostgreSQL store. */
    public static final String NOT_CHECKED = "not checked";

    private final Config config;
    private final PrintStream progress;
    /** Picked free at construction; another one if a process takes it before the first start binds it. */
    private int port;
    private boolean startedOnce;
    private Process coordinator;
    /** The coordinators' own temporary directory, so that what a killed one leaves there can be counted. */
    private final Path childTemp;

    public CoordinatorCrash(Config config, PrintStream progress) throws IOException {
        this.config = config;
        this.progress = progress;
        this.childTemp = config.dataDir().resolveSibling(config.dataDir().getFileName() + "-tmp");
        try (ServerSocket s = new ServerSocket(0)) {
            this.port = s.getLocalPort();
        }
    }

    public Report run() throws Exception {
        long started = System.nanoTime();
        Files.createDirectories(config.dataDir());
        String url = start();
        Map<String, SignedEnvelope> acked = new ConcurrentHashMap<>();
        Map<String, Identity> leases = new ConcurrentHashMap<>();
        List<String> leasedTwice = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger cut = new AtomicInteger();
        int kills = 0;
        List<String> backupProblems = java.util.Collections.synchronizedList(new ArrayList<>());
        int killsUnderLoad = 0;
        Report report;
        try {
            Identity operator = Identity.generate();
            prepare(new CoordinatorClient(url, operator));
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger empty = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < config.clients(); c++) {
                Thread t = new Thread(() -> client(url, acked, leases, leasedTwice, cut, done, empty), "crash-client-" + c);
                t.setDaemon(true);
                t.start();
                clients.add(t);
            }
            // Kill once a share of the units has been acknowledged since the last restart, so every
            // kill lands with claims and results in flight: at a random count within the share and
            // a random few milliseconds after it, so kills land at moments no schedule picks.
            int step = Math.max(1, config.units() / (config.kills() + 1));
            java.util.Random moments = new java.util.Random();
            // A backup taken while the clients claim and report, and while the kills land: beside the
            // kill loop, which it must not hold up (waited for, the load ended before the first kill
            // and every kill landed on an idle coordinator). SQLite's copy is checked at once;
            // PostgreSQL's pg_dump is restored (its documented line) once the run's checks are done
            Thread backup = new Thread(() -> {
                try {
                    long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                    // half the first kill's share acknowledged first: a backup begun after one result
                    // (as it was) showed little of what it must hold
                    while (acked.size() < Math.max(1, step / 2) && System.nanoTime() < until) {
                        Thread.sleep(5);
                    }
                    backupProblems.addAll(config.store().isEmpty() ? backupUnderLoad(acked) : pgDumpUnderLoad(acked));
                } catch (IOException e) {
                    backupProblems.add("backup under load: " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "crash-backup");
            backup.setDaemon(true);
            backup.start();
            while (kills < config.kills()) {
                int target = kills * step + 1 + moments.nextInt(step);
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (acked.size() < target && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                Thread.sleep(moments.nextInt(50));
                if (acked.size() < config.units()) {
                    killsUnderLoad++;
                }
                ChildProcess.kill(coordinator, Duration.ofSeconds(30));
                kills++;
                progress.printf("kill -9 #%d of the coordinator with %d results acknowledged%n", kills, acked.size());
                start();
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (empty.get() < config.clients() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            done.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
            backup.join(TimeUnit.MINUTES.toMillis(6));
            report = check(url, acked, cut.get(), kills, started, leasedTwice);
        } finally {
            stop();
        }
        // once the last coordinator stopped: a coordinator killed mid-write must leave a database
        // that checks whole, not only one whose acknowledged rows read back
        List<String> problems = new ArrayList<>(config.store().isEmpty()
                ? StoreConsistency.ofSqlite(config.dataDir().resolve(dev.rhizome.coordinator.store.SqliteStore.FILE_NAME))
                : StoreConsistency.ofPostgres(config.store()));
        synchronized (backupProblems) {
            problems.addAll(backupProblems);
        }
        if (pgDump != null) {
            problems.addAll(restoreAndCheck(pgDump));
        }
        return new Report(report.kills(), report.acknowledged(), report.stored(), report.missing(), report.duplicated(),
                report.inFlightAtKill(), report.leftInTemp(), report.leasedTwice(), integrity(), report.seconds(),
                List.copyOf(problems), checkedBackups, killsUnderLoad);
    }

    /**
     * {@code rhizome coordinator backup} of the SQLite store while the clients go on claiming and
     * reporting: its copy must be a store on its own (one snapshot: no result without its unit, no
     * unit leased twice) holding every result acknowledged before it began. Its problems, each
     * named with the backup's file.
     */
    private List<String> backupUnderLoad(Map<String, SignedEnvelope> acked) throws IOException, InterruptedException {
        Path dir = config.dataDir().resolveSibling(config.dataDir().getFileName() + "-backups");
        Files.createDirectories(dir);
        Path out = dir.resolve("backup-" + System.nanoTime() + ".db");
        java.util.Set<String> before = java.util.Set.copyOf(acked.keySet());
        List<String> failed = backUp(dir, out, "--data-dir", config.dataDir().toString());
        if (!failed.isEmpty()) {
            return failed;
        }
        progress.printf("backup under load with %d results acknowledged before it: %s%n", before.size(), out);
        List<String> problems = new ArrayList<>();
        StoreConsistency.ofSqlite(out).forEach(p -> problems.add("backup " + out + ": " + p));
        java.util.Set<String> held = new java.util.HashSet<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + out);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rows = s.executeQuery("SELECT unit_id FROM results")) {
            while (rows.next()) {
                held.add(rows.getString(1));
            }
        } catch (java.sql.SQLException e) {
            problems.add("backup " + out + " unreadable: " + e.getMessage());
        }
        before.stream().filter(u -> !held.contains(u)).sorted()
                .forEach(u -> problems.add("backup " + out + " lacks a result acknowledged before it began: " + u));
        checkedBackups++;
        return problems;
    }

    /**
     * Runs {@code rhizome coordinator backup --out OUT} with {@code storeArgs} as its own process,
     * its log in {@code dir}; why it failed, or nothing once it ended well.
     */
    private List<String> backUp(Path dir, Path out, String... storeArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(config.launcher());
        command.addAll(List.of("coordinator", "backup"));
        command.addAll(List.of(storeArgs));
        command.addAll(List.of("--out", out.toString()));
        Path log = dir.resolve("backup.log");
        Process backup = ChildProcess.start(command, log);
        if (!backup.waitFor(5, TimeUnit.MINUTES)) {
            ChildProcess.kill(backup, Duration.ofSeconds(30));
            return List.of("backup " + out + " did not end in 5 minutes; its log ends:\n" + ChildProcess.tail(log, 20));
        }
        if (backup.exitValue() != 0) {
            return List.of("backup " + out + " failed (" + backup.exitValue() + "); its log ends:\n"
                    + ChildProcess.tail(log, 20));
        }
        return List.of();
    }

    /** A pg_dump taken under load, and the results acknowledged before it began. */
    private record PgDump(Path file, java.util.Set<String> before) {
    }

    /** Set by the backup thread, read once it ended (joined). */
    private volatile PgDump pgDump;
    private volatile int checkedBackups;

    /**
     * {@code rhizome coordinator backup --store ADDRESS} (pg_dump) while the clients claim and report
     * and the kills land; the file is restored and checked by {@link #restoreAndCheck} once the run's
     * own checks of the live schema are done. Its problems, if it could not be taken.
     */
    private List<String> pgDumpUnderLoad(Map<String, SignedEnvelope> acked) throws IOException, InterruptedException {
        Path dir = config.dataDir().resolveSibling(config.dataDir().getFileName() + "-backups");
        Files.createDirectories(dir);
        Path out = dir.resolve("backup-" + System.nanoTime() + ".dump");
        java.util.Set<String> before = java.util.Set.copyOf(acked.keySet());
        List<String> failed = backUp(dir, out, "--store", config.store(), "--json");
        if (!failed.isEmpty()) {
            return failed;
        }
        progress.printf("pg_dump under load with %d results acknowledged before it: %s%n", before.size(), out);
        pgDump = new PgDump(out, before);
        return List.of();
    }

    /**
     * The loss a backup is for, after the last coordinator stopped: the schema dropped, the backup
     * restored by the line `coordinator backup` prints ({@code restore_command}), and the restored
     * schema checked as the live one was ({@link StoreConsistency}), holding every result acknowledged
     * before the backup began.
     */
    private List<String> restoreAndCheck(PgDump dump) throws IOException, InterruptedException {
        dev.rhizome.coordinator.store.PostgresAddress pg;
        try {
            pg = dev.rhizome.coordinator.store.PostgresAddress.parse(config.store());
        } catch (dev.rhizome.coordinator.store.InvalidStoreAddress e) {
            return List.of("backup " + dump.file() + ": " + e.getMessage());
        }
        String password = pg.password() == null ? "" : pg.password();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl(), pg.user(), password);
                java.sql.Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA \"" + pg.schema().replace("\"", "\"\"") + "\" CASCADE");
        } catch (java.sql.SQLException e) {
            return List.of("backup " + dump.file() + ": cannot drop the schema to restore it: " + e.getMessage());
        }
        Path log = dump.file().resolveSibling("restore.log");
        ProcessBuilder restoring = ChildProcess.builder(List.of("sh", "-c",
                dev.rhizome.coordinator.store.PostgresStore.restoreCommand(pg, dump.file())), log, false);
        restoring.environment().put("PGPASSWORD", password);  // as `coordinator backup --help` says: the line holds none
        Process restore = restoring.start();
        if (!restore.waitFor(5, TimeUnit.MINUTES)) {
            ChildProcess.kill(restore, Duration.ofSeconds(30));
            return List.of("restore of " + dump.file() + " did not end in 5 minutes");
        }
        if (restore.exitValue() != 0) {
            return List.of("restore of " + dump.file() + " failed (" + restore.exitValue() + "): "
                    + ChildProcess.tail(log, 10));
        }
        List<String> problems = new ArrayList<>();
        StoreConsistency.ofPostgres(config.store()).forEach(p -> problems.add("backup " + dump.file() + ", restored: " + p));
        java.util.Set<String> held = new java.util.HashSet<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl() + "?currentSchema=" + pg.schema(),
                pg.user(), password);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rows = s.executeQuery("SELECT unit_id FROM results")) {
            while (rows.next()) {
                held.add(rows.getString(1));
            }
        } catch (java.sql.SQLException e) {
            problems.add("backup " + dump.file() + ", restored, unreadable: " + e.getMessage());
        }
        dump.before().stream().filter(u -> !held.contains(u)).sorted()
                .forEach(u -> problems.add("backup " + dump.file() + ", restored, lacks a result acknowledged before it began: " + u));
        progress.printf("pg_dump restored: %d results, %d of them acknowledged before it began, %d problems%n",
                held.size(), dump.before().size(), problems.size());
        checkedBackups++;
        return problems;
    }

    private String integrity() {
        if (!config.store().isEmpty()) {
            return NOT_CHECKED;
        }
        Path file = config.dataDir().resolve(dev.rhizome.coordinator.store.SqliteStore.FILE_NAME);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet check = s.executeQuery("PRAGMA integrity_check")) {
            List<String> problems = new ArrayList<>();
            while (check.next()) {
                problems.add(check.getString(1));
            }
            return String.join("; ", problems);
        } catch (java.sql.SQLException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * {@code CoordinatorCrash DATA_DIR [STORE] [CLIENTS UNITS KILLS]}, run from the rhizome jar
     * (ops/storm/killstorm.sh does): exit status 0 when the promise held, 1 when it did not.
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 5 || args[0].startsWith("-")) {
            System.err.println("usage: CoordinatorCrash DATA_DIR [STORE (\"\" for SQLite)] [CLIENTS UNITS KILLS]");
            System.exit(2);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> launcher = List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), "dev.rhizome.client.Main");
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int units = args.length > 3 ? Integer.parseInt(args[3]) : 400;
        int kills = args.length > 4 ? Integer.parseInt(args[4]) : 4;
        Report report = new CoordinatorCrash(new Config(launcher, Path.of(args[0]), args.length > 1 ? args[1] : "",
                clients, units, kills), System.err).run();
        System.out.print(report.toText());
        report.missing().forEach(u -> System.out.println("  acknowledged but missing: " + u));
        report.duplicated().forEach(u -> System.out.println("  stored twice: " + u));
        report.leasedTwice().forEach(u -> System.out.println("  leased to two keys: " + u));
        report.storeProblems().forEach(p -> System.out.println("  in the store: " + p));
        System.exit(report.ok() && report.stored() == report.acknowledged() ? 0 : 1);
    }

    private Report check(String url, Map<String, SignedEnvelope> acked, int cut, int kills, long started,
            List<String> leasedTwice) throws CoordinatorException {
        List<SignedEnvelope> stored = new CoordinatorClient(url, Identity.generate()).results(null, null)
                .getEnvelopesList();
        Map<String, List<SignedEnvelope>> byUnit = new HashMap<>();
        for (SignedEnvelope e : stored) {
            try {
                Result r = Envelopes.open(e, Result.getDefaultInstance()).record();
                byUnit.computeIfAbsent(r.getWorkUnitId(), k -> new ArrayList<>()).add(e);
            } catch (Exception bad) {
                byUnit.computeIfAbsent("unreadable", k -> new ArrayList<>()).add(e);
            }
        }
        List<String> missing = new ArrayList<>();
        acked.forEach((unit, envelope) -> {
            List<SignedEnvelope> have = byUnit.getOrDefault(unit, List.of());
            if (have.stream().noneMatch(envelope::equals)) {
                missing.add(unit);
            }
        });
        List<String> duplicated = byUnit.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .map(Map.Entry::getKey).sorted().toList();
        List<String> twice;
        synchronized (leasedTwice) {
            twice = leasedTwice.stream().sorted().distinct().toList();
        }
        return new Report(kills, acked.size(), stored.size(), missing.stream().sorted().toList(), duplicated, cut,
                leftInTemp(), twice, NOT_CHECKED, (System.nanoTime() - started) / 1e9, List.of(), 0, 0);
    }

    private List<String> leftInTemp() {
        try (Stream<Path> files = Files.list(childTemp)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of("unreadable: " + e.getMessage());
        }
    }

    /** Claims and reports until the queue stays empty; a call the kill cut is repeated once the coordinator is back. */
    private void client(String url, Map<String, SignedEnvelope> acked, Map<String, Identity> leases,
            List<String> leasedTwice, AtomicInteger cut, AtomicBoolean done, AtomicInteger empty) {
        Identity me = Identity.generate();
        CoordinatorClient client = new CoordinatorClient(url, me, Duration.ofSeconds(30));
        boolean counted = false;
        SignedEnvelope unsent = null;
        while (!done.get()) {
            try {
                if (unsent == null) {
                    ClaimResponse response = client.claim(ClaimRequest.newBuilder()
                            .setNode(me.publicId().toByteString()).setHardwareClass("cpu:crash")
                            .addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis()).build());
                    if (!response.hasUnit()) {
                        if (!counted) {
                            counted = true;
                            empty.incrementAndGet();
                        }
                        Thread.sleep(100);
                        continue;
                    }
                    if (counted) {
                        counted = false;
                        empty.decrementAndGet();
                    }
                    Identity holder = leases.putIfAbsent(response.getUnit().getId(), me);
                    if (holder != null && holder != me) {
                        leasedTwice.add(response.getUnit().getId());
                    }
                    unsent = client.signed(result(response.getUnit(), me));
                }
                client.reportResult(unsent);
                acked.put(Envelopes.open(unsent, Result.getDefaultInstance()).record().getWorkUnitId(), unsent);
                unsent = null;
            } catch (CoordinatorException e) {
                if (e.status() == 0 || e.status() >= 500) {
                    cut.incrementAndGet();  // the coordinator died under the call: same call again
                    sleepQuietly(100);
                } else {
                    progress.println("refused: " + e.getMessage());
                    unsent = null;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                progress.println("client: " + e);
                sleepQuietly(100);
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Result result(WorkUnit unit, Identity runner) {
        return Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setParent(unit.getParent())
                .setStatus(Result.Status.OK).setMetricName(TinyLmSeed.manifest().getMetric().getName()).setMetric(2.0)
                .setHardwareClass("cpu:crash").setRuntimeMs(1000).setRunner(runner.publicId().toByteString())
                .setProposer(unit.getProposer()).setTimeMs(System.currentTimeMillis()).setBudget(unit.getBudget())
                .setRandomSeed(unit.getRandomSeed()).build();
    }

    /** A seed with one replica per commit and one experiment per unit, as `bench coordinator` prepares them. */
    private void prepare(CoordinatorClient ops) throws CoordinatorException {
        SecureRandom random = new SecureRandom();
        Manifest manifest = TinyLmSeed.manifest().toBuilder().setQuorum(1).setAdoptionSeeds(1).clearTrustedProposers()
                .build();
        Seed seed = Seed.newBuilder().setName("crash").setCommit(commit(random)).setManifest(manifest)
                .setPublisher(ops.identity().publicId().toByteString()).setPublishedMs(System.currentTimeMillis())
                .build();
        ops.publishSeed(seed);
        ops.openDirection(Direction.newBuilder().setName("load").setSeed("crash").setBaseCommit(seed.getCommit())
                .setOpenedBy(ops.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis()).build());
        for (int i = 1; i < config.units(); i++) {  // the base's own unit is the first
            ops.registerExperiment(Experiment.newBuilder().setSeed("crash").setDirection("load").setCommit(commit(random))
                    .setParent(seed.getCommit()).setProposer(ops.identity().publicId().toByteString())
                    .setCreatedMs(System.currentTimeMillis()).build());
        }
        progress.printf("prepared %d units%n", config.units());
    }

    private static String commit(SecureRandom random) {
        byte[] b = new byte[20];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Starts the coordinator on {@link #port}. A port picked free can be taken before the coordinator
     * binds it (an ephemeral port handed to another process meanwhile, a node's or another test's):
     * the first start then moves to another free port, a restart (whose clients know the port) tries
     * the same one again, a few times.
     */
    private String start() throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                String url = startOnce();
                startedOnce = true;
                return url;
            } catch (PortTaken taken) {
                if (attempt == 10) {
                    throw new IOException("port " + port + " stayed taken by another process over " + attempt
                            + " starts; the coordinator's log ends:\n" + taken.getMessage());
                }
                if (!startedOnce) {
                    try (ServerSocket s = new ServerSocket(0)) {
                        port = s.getLocalPort();
                    }
                } else {
                    Thread.sleep(500);
                }
            }
        }
    }

    /** The coordinator exited at start because its port was in use. */
    private static final class PortTaken extends IOException {
        PortTaken(String log) {
            super(log);
        }
    }

    private String startOnce() throws IOException, InterruptedException {
        Path urlFile = config.dataDir().resolve("coordinator.url");
        Files.deleteIfExists(urlFile);
        List<String> command = new ArrayList<>(config.launcher());
        // one operator key registers every unit's experiment: a load, not abuse (no daily write limit)
        Path limits = config.dataDir().resolve("coordinator-limits.json");
        Files.createDirectories(config.dataDir());
        Files.writeString(limits, "{\"daily_write_limits\": {\"experiments\": {\"per_key\": 0, \"per_address\": 0, "
                + "\"total\": 0}}}");
        command.addAll(List.of("coordinator", "--data-dir", config.dataDir().toString(), "--port",
                Integer.toString(port), "--config", limits.toString()));
        if (!config.store().isEmpty()) {
            command.addAll(List.of("--store", config.store()));
        }
        Path log = config.dataDir().resolve("coordinator.log");
        Files.createDirectories(childTemp);
        ProcessBuilder builder = ChildProcess.builder(command, log, true);
        String options = builder.environment().getOrDefault("JAVA_TOOL_OPTIONS", "");
        builder.environment().put("JAVA_TOOL_OPTIONS", (options + " -Djava.io.tmpdir=" + childTemp).trim());
        coordinator = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(urlFile)) {
            if (!coordinator.isAlive() || System.nanoTime() > deadline) {
                String tail = ChildProcess.tail(log, 20);
                if (!coordinator.isAlive() && tail.contains("address already in use")) {
                    throw new PortTaken(tail);
                }
                throw new IOException("the coordinator did not start again; its log ends:\n" + tail);
            }
            Thread.sleep(50);
        }
        return Files.readString(urlFile).trim();
    }

    private void stop() throws InterruptedException {
        ChildProcess.stop(coordinator, Duration.ofSeconds(20));
    }
}
