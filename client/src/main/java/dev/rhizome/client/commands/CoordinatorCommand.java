package dev.rhizome.client.commands;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.client.cli.PathArguments;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.StopClasses;
import dev.rhizome.client.cli.StopSignals;
import dev.rhizome.client.cli.StoreOption;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.WriteQuota;
import dev.rhizome.coordinator.http.TrustedProxies;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.RefusedStore;
import dev.rhizome.coordinator.store.UnresolvableStoreHost;
import dev.rhizome.protocol.files.DurableFiles;
import dev.rhizome.protocol.files.ProcessLock;
import dev.rhizome.protocol.identity.PublicId;
import java.io.IOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  # listening on every address, with one operator key (`rhizome id` prints it)",
            "  rhizome coordinator --data-dir /srv/coord --host 0.0.0.0 --operator ID",
            "  # from a config file (README, \"Running a coordinator in production\")",
            "  rhizome coordinator --config coordinator.json",
            "  rhizome coordinator --store postgresql://rhizome:PW@db:5432/rhizome",
            "  # its dashboard is at its URL, its Prometheus metrics at URL/metrics"},
        name = "coordinator", mixinStandardHelpOptions = true, subcommands = CoordinatorBackupCommand.class,
        description = {"Run a coordinator: hands out work units, stores signed results, keeps leaderboards.",
            "Writes its URL to <data-dir>/coordinator.url once it listens; stops on SIGTERM or Ctrl-C (exit 0).",
            "Its log goes to standard error; with --json, standard output holds one line once it listens, or the",
            "error object when it cannot start."})
public final class CoordinatorCommand implements Callable<Integer> {
    public static final String URL_FILE = "coordinator.url";

    @Mixin
    DataDirOption dataDir;

    @Option(names = "--config", paramLabel = "FILE", converter = PathArguments.InputFile.class,
            description = "JSON config file (keys: host, port, store, lease_seconds, max_body_bytes, operators, "
                    + "reply_stall_seconds, daily_write_limits, leases_held, read_budget, trusted_proxies, trusted_proxy_header, connections; all optional, each described "
                    + "in the README, \"Running a coordinator in production\"); flags override it. There is no default "
                    + "file: without --config none is read. ops/systemd/coordinator.json is an example, installed as "
                    + "/etc/rhizome/coordinator.json by ops/systemd/rhizome-coordinator.service. A wrong value or an unknown "
                    + "key is refused naming the key and its line in the file.")
    Path configFile;

    @Option(names = "--host", description = "Address to listen on (default 127.0.0.1).", paramLabel = "HOST")
    String host;

    @Option(names = "--port", converter = Bounded.Port.class, description = "Port, 0 for any free one (default 7700).", paramLabel = "PORT")
    Integer port;

    @Option(names = "--store", paramLabel = "ADDRESS",
            description = {"sqlite (default: coordinator.db in the data directory) or " +
                "postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?schema=NAME&pool=N&timeout=S&read_timeout=S&migrate_timeout=S], "
                + "which several coordinators may share; checked before anything starts."})
    String store;

    @Option(names = "--lease-seconds", converter = Bounded.NonNegativeSeconds.class,
            description = "Lease length for every unit, in seconds or with a unit (90s, 5m, 1h); 0 derives it from the "
                    + "seed's timeout (default).", paramLabel = "SECONDS")
    Long leaseSeconds;

    @Option(names = "--operator", paramLabel = "ID",
            description = "Public id (64 hex digits, as `rhizome id` prints it) allowed to publish seeds, open and close "
                    + "directions, queue their spent trials again and ban keys (repeatable). None: anyone may.")
    List<String> operators;

    @Option(names = "--json", description = "Once it listens, print one JSON line: url, host, port (the one it listens on, "
            + "also with --port 0), data_dir, url_file, store (sqlite's file, or the PostgreSQL address without its "
            + "password), operators (their public ids; empty: any key may publish and open), pid. A refusal at start "
            + "(a flag, a config file key: `option`) is the error object {error, message, hint, option}; so is a database "
            + "that refuses it later, after the ready line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        CoordinatorFile file = configFile == null ? CoordinatorFile.EMPTY : CoordinatorFile.read(configFile);
        String host = this.host != null ? this.host : file.host() != null ? file.host() : "127.0.0.1";
        int port = this.port != null ? this.port : file.port() != null ? file.port() : 7700;
        long leaseSeconds = this.leaseSeconds != null ? this.leaseSeconds
                : file.leaseSeconds() != null ? file.leaseSeconds() : 0;
        String store = this.store != null ? this.store : file.store() != null ? file.store() : "";
        List<String> operators = this.operators != null ? this.operators
                : file.operators() != null ? file.operators() : List.of();
        int maxBodyBytes = file.maxBodyBytes() != null ? file.maxBodyBytes() : CoordinatorConfig.DEFAULT_MAX_BODY_BYTES;
        if (maxBodyBytes <= 0) {
            throw CoordinatorFile.bad(configFile, "max_body_bytes", maxBodyBytes, "a positive number of bytes", "");
        }
        long stallSeconds = file.replyStallSeconds() != null ? file.replyStallSeconds()
                : CoordinatorLimits.DEFAULT_REPLY_STALL.toSeconds();
        if (stallSeconds <= 0) {
            throw CoordinatorFile.bad(configFile, "reply_stall_seconds", stallSeconds, "a positive number of seconds", "");
        }
        var writeLimits = configFile == null ? WriteQuota.Limits.defaults()
                : file.writeLimits(configFile);
        var leaseCaps = configFile == null ? LeaseCaps.Limits.defaults() : file.leaseCaps(configFile);
        var readBudgets = configFile == null ? ReadBudgets.defaults() : file.readBudgets(configFile);
        // a flag's value is checked while parsing: what is refused here came from the file, and
        // "--port must be 0..65535" named a flag the user never typed
        if (port < 0 || port > 65535) {
            throw CoordinatorFile.bad(configFile, "port", port, "a port from 0 to 65535 (0: any free one)", "");
        }
        if (leaseSeconds < 0) {
            throw CoordinatorFile.bad(configFile, "lease_seconds", leaseSeconds, "0 (from the seed's timeout) or a "
                    + "positive number of seconds", "");
        }
        String storeOption = this.store != null ? "--store" : "store";
        String storeWhere = this.store != null ? "--store" : "store in " + CoordinatorFile.where(configFile, "store");
        StoreOption.check(store, storeOption, storeWhere, this.store != null ? StoreOption.HINT : CoordinatorFile.HINT);
        Set<PublicId> ops = new LinkedHashSet<>();
        for (String id : operators) {
            try {
                ops.add(PublicId.parse(id));
            } catch (IllegalArgumentException e) {
                String expected = "a public id: 64 hex digits, as `rhizome id` prints it";
                throw this.operators != null ? BadValue.of("--operator", id, expected,
                        "run `rhizome id --data-dir DIR` with the operator's data directory and pass what it prints")
                        : CoordinatorFile.bad(configFile, "operators", id, expected, "");
            }
        }
        Path dir = dataDir.path();
        CoordinatorConfig config = CoordinatorConfig.defaults(dir)
                .withHost(host).withPort(port)
                .withLeaseDuration(Duration.ofSeconds(leaseSeconds))
                .withOperators(ops)
                .withStore(store)
                .withMaxBodyBytes(maxBodyBytes);
        CoordinatorLimits limits = config.limits().toBuilder().replyStallTimeout(Duration.ofSeconds(stallSeconds))
                .dailyWrites(writeLimits).leasesHeld(leaseCaps).readBudgets(readBudgets).build();
        config = config.withLimits(configFile == null ? limits : file.connectionLimits(configFile, limits));
        if (file.trustedProxies() != null) {
            try {
                config = config.withTrustedProxies(file.trustedProxies());
            } catch (IllegalArgumentException e) {
                throw CommandException.usage("trusted_proxies", CoordinatorFile.where(configFile, "trusted_proxies")
                        + ": trusted_proxies: " + e.getMessage(), CoordinatorFile.HINT);
            }
        }
        if (file.trustedProxyHeader() != null) {
            try {
                config = config.withTrustedProxyHeader(TrustedProxies.Header.named(file.trustedProxyHeader()));
            } catch (IllegalArgumentException e) {
                throw CommandException.usage("trusted_proxy_header", CoordinatorFile.where(configFile,
                        "trusted_proxy_header") + ": " + e.getMessage(), CoordinatorFile.HINT);
            }
        }
        Files.createDirectories(dir);
        Path urlFile = dir.resolve(URL_FILE);
        // The URL file is this process's once it holds the lock: a second coordinator started on a
        // running one's data directory deleted the first one's URL before its store refused it.
        try (ProcessLock owner = ProcessLock.acquire(dir.resolve(URL_FILE + ".lock"),
                "the coordinator data directory " + dir)) {
            Files.deleteIfExists(urlFile);
            return serve(config, urlFile);
        } catch (UnresolvableStoreHost e) {
            throw StoreOption.unresolvable(e, storeOption, storeWhere, store);
        } catch (RefusedStore e) {
            // was the unforeseen-failure line, naming no option and pointing at a stack trace
            throw StoreOption.refused(e.getMessage(), storeOption, storeWhere);
        } catch (StoreRefusedLater e) {
            throw StoreOption.refused("the coordinator's database refused it: " + e.getMessage(), storeOption, storeWhere);
        }
    }

    /** Runs the coordinator until SIGTERM or Ctrl-C, or until its database refuses it for good. */
    private int serve(CoordinatorConfig config, Path urlFile) throws Exception {
        String host = config.host();
        int port = config.port();
        Coordinator coordinator;
        try {
            coordinator = Coordinator.start(config);
        } catch (BindException e) {
            String why = Problems.bindFailure(e);
            // the option to change, so a script starting it can pick another port without reading words
            throw new CommandException(ExitCodes.FAILED, "failed", "cannot listen on " + host + ":" + port
                    + ": " + why, "check --host and --port", why.startsWith("this machine has no such address") ? "--host" : "--port");
        }
        // SIGTERM and Ctrl-C are a request to stop, not a failure: handled here instead of by the
        // JVM's default (which exits 143), so the coordinator closes and the command exits 0.
        CountDownLatch stopRequested = new CountDownLatch(1);
        StopSignals.onStop(stopRequested::countDown);
        // A database waited for since the start that answers and refuses (a wrong password, no such
        // database) will refuse every later attempt too: a coordinator left running would only
        // answer 503 for good, so the command exits and names the refusal.
        AtomicReference<IOException> refused = new AtomicReference<>();
        coordinator.storeRefused().thenAccept(e -> {
            refused.set(e);
            stopRequested.countDown();
        });
        DurableFiles.replace(urlFile,
                (coordinator.url() + "\n").getBytes(StandardCharsets.UTF_8));
        if (json) {
            new Output(System.out).json(ready(coordinator, config, urlFile));
            System.out.flush();
        }
        // the stop's classes, read now: an upgrade in place rewrites the jar under us (StopClasses)
        StopClasses.preload(CoordinatorCommand.class, StopClasses.COORDINATOR);
        stopRequested.await();
        coordinator.close();
        if (refused.get() != null) {
            Files.deleteIfExists(urlFile);
            throw new StoreRefusedLater(refused.get().getMessage());
        }
        return ExitCodes.OK;
    }

    /** A database waited for since the start that answered and refused; named as the store's option by {@link #call}. */
    private static final class StoreRefusedLater extends Exception {
        StoreRefusedLater(String message) {
            super(message);
        }
    }

    /** What a script that started the coordinator needs next: where it answers, where its data is, who may operate it. */
    private static JsonObject ready(Coordinator coordinator, CoordinatorConfig config, Path urlFile) {
        Path dir = config.dataDir();
        String store = config.store();
        JsonObject o = new JsonObject();
        o.addProperty("url", coordinator.url());
        o.addProperty("host", config.host());
        o.addProperty("port", coordinator.port());
        o.addProperty("data_dir", dir.toString());
        o.addProperty("url_file", urlFile.toString());
        o.addProperty("store", store.isEmpty() || store.equals("sqlite")
                ? dir.resolve(SqliteStore.FILE_NAME).toString() : PostgresStore.redact(store));
        JsonArray ids = new JsonArray();
        config.operators().forEach(id -> ids.add(id.toString()));
        o.add("operators", ids);
        o.addProperty("pid", ProcessHandle.current().pid());
        return o;
    }
}
