package dev.rhizome.client.commands;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.JsonKeyLines;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.client.cli.Suggestions;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.MinDataRate;
import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.WriteQuota;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The coordinator's config file (JSON); every key is optional and a flag given on the command
 * line wins over it. See README, "Running a coordinator in production".
 */
record CoordinatorFile(String host, Integer port, String store, @SerializedName("lease_seconds") Long leaseSeconds,
        @SerializedName("max_body_bytes") Integer maxBodyBytes, List<String> operators,
        @SerializedName("reply_stall_seconds") Long replyStallSeconds,
        @SerializedName("daily_write_limits") JsonObject dailyWriteLimits,
        @SerializedName("trusted_proxies") List<String> trustedProxies,
        @SerializedName("trusted_proxy_header") String trustedProxyHeader,
        @SerializedName("leases_held") JsonObject leasesHeld,
        @SerializedName("read_budget") JsonObject readBudget,
        JsonObject connections) {

    static final CoordinatorFile EMPTY = new CoordinatorFile(null, null, null, null, null, null, null, null, null, null,
            null, null, null);

    /** The keys the file may hold; any other is a typo that would otherwise be silently ignored. */
    static final Set<String> KEYS = new LinkedHashSet<>(
            List.of("host", "port", "store", "lease_seconds", "max_body_bytes", "operators", "reply_stall_seconds",
                    "daily_write_limits", "trusted_proxies", "trusted_proxy_header", "leases_held", "read_budget", "connections"));

    static CoordinatorFile read(Path file) throws CommandException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw CommandException.usage("--config", "cannot read config file " + file + ": "
                    + Problems.describe(e), "pass --config FILE with a readable JSON file, or leave --config out");
        }
        JsonObject object;
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (parsed == null || parsed.isJsonNull()) {
                throw CommandException.usage("--config", "config file " + file + " is empty", HINT);
            }
            if (!parsed.isJsonObject()) {
                throw CommandException.usage("--config", "config file " + file
                        + " must hold one JSON object {...}", HINT);
            }
            object = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw CommandException.usage("--config", "config file " + file + " is not valid JSON: "
                    + Problems.describe(e), HINT);
        }
        for (String key : object.keySet()) {
            if (!KEYS.contains(key)) {
                throw CommandException.usage(key, where(file, key) + ": unknown key '" + key
                        + "' (the keys are " + String.join(", ", KEYS) + ")", Suggestions.hint(key, KEYS, HINT));
            }
        }
        for (String key : KEYS) {
            JsonElement v = object.get(key);
            if (v == null || v.isJsonNull()) {
                continue;
            }
            boolean ok = switch (key) {
                case "host", "store", "trusted_proxy_header" -> v.isJsonPrimitive() && v.getAsJsonPrimitive().isString();
                case "port", "lease_seconds", "max_body_bytes", "reply_stall_seconds" -> v.isJsonPrimitive()
                        && v.getAsJsonPrimitive().isNumber() && v.getAsBigDecimal().stripTrailingZeros().scale() <= 0;
                case "daily_write_limits", "leases_held", "read_budget", "connections" -> v.isJsonObject();
                default -> v.isJsonArray() && v.getAsJsonArray().asList().stream()
                        .allMatch(e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isString());
            };
            if (!ok) {
                String expected = switch (key) {
                    case "host", "store" -> "a string";
                    case "trusted_proxy_header" -> "a string: \"X-Forwarded-For\" or \"Forwarded\"";
                    case "port", "lease_seconds", "max_body_bytes", "reply_stall_seconds" -> "a whole number";
                    case "daily_write_limits" -> "an object {\"experiments\": {\"per_key\": N, ...}, ...}";
                    case "leases_held" -> "an object {\"per_address\": N, \"per_network\": N}";
                    case "read_budget" -> READ_BUDGET_SHAPE;
                    case "connections" -> "an object {\"max_total\": N, \"requests_per_connection\": N, ...}";
                    case "trusted_proxies" -> "a list of addresses or blocks (strings, e.g. \"10.0.0.0/8\")";
                    default -> "a list of public ids (strings)";
                };
                throw bad(file, key, v, expected, HINT);
            }
        }
        try {
            return new Gson().fromJson(object, CoordinatorFile.class);
        } catch (JsonParseException | NumberFormatException e) {
            throw CommandException.usage("--config", "config file " + file + " is not valid: "
                    + Problems.describe(e), HINT);
        }
    }

    /**
     * The caps on leases held at once per address and per network: the defaults, with each bound
     * the file names replaced, each checked by name as the daily limits' are.
     */
    LeaseCaps.Limits leaseCaps(Path file) throws CommandException {
        LeaseCaps.Limits caps = LeaseCaps.Limits.defaults();
        if (leasesHeld == null) {
            return caps;
        }
        int perAddress = caps.perAddress();
        int perNetwork = caps.perNetwork();
        for (String bound : leasesHeld.keySet()) {
            String key = "leases_held." + bound;
            int n = wholeBound(file, key, leasesHeld.get(bound));
            switch (bound) {
                case "per_address" -> perAddress = n;
                case "per_network" -> perNetwork = n;
                default -> throw CommandException.usage(key, where(file, key) + ": leases_held: unknown bound '"
                        + bound + "' (the bounds are per_address, per_network)",
                        Suggestions.hint(bound, List.of("per_address", "per_network"), HINT));
            }
        }
        return new LeaseCaps.Limits(perAddress, perNetwork);
    }

    /** A bound of {@code connections}: its name, its least value, and what it is, for an error's words. */
    private record ConnectionBound(String name, long least, String means) {
    }

    private static final List<ConnectionBound> CONNECTION_BOUNDS = List.of(
            new ConnectionBound("max_total", 1, "open connections in total (4096)"),
            new ConnectionBound("max_per_address", 1, "open connections from one address, an IPv6 /64 as one (64)"),
            new ConnectionBound("request_seconds", 1, "seconds a whole request may take to arrive (30)"),
            new ConnectionBound("idle_seconds", 1, "seconds a connection may sit idle (120)"),
            new ConnectionBound("max_pipelined", 1, "requests of one connection handled at once (16)"),
            new ConnectionBound("requests_per_connection", 1, "requests one connection is answered (10000)"),
            new ConnectionBound("max_buffered_body_bytes", 1, "bytes of unfinished bodies held across all connections (268435456)"),
            new ConnectionBound("min_bytes_per_second", 0, "the slowest a request may arrive, 0: no floor (240)"),
            new ConnectionBound("min_rate_window_seconds", 1, "seconds over which that rate is judged (10)"));

    /**
     * The connection limits: {@code base}, with each bound the file's {@code connections} names
     * replaced, each checked by its dotted key ({@code connections.requests_per_connection}).
     */
    CoordinatorLimits connectionLimits(Path file, CoordinatorLimits base) throws CommandException {
        if (connections == null) {
            return base;
        }
        List<String> names = CONNECTION_BOUNDS.stream().map(ConnectionBound::name).toList();
        CoordinatorLimits.Builder limits = base.toBuilder();
        MinDataRate rate = base.minDataRate();
        for (String name : connections.keySet()) {
            String key = "connections." + name;
            ConnectionBound bound = CONNECTION_BOUNDS.stream().filter(b -> b.name().equals(name)).findFirst()
                    .orElseThrow(() -> CommandException.usage(key, where(file, key) + ": connections: unknown bound '"
                            + name + "' (the bounds are " + String.join(", ", names) + ")",
                            Suggestions.hint(name, names, HINT)));
            JsonElement v = connections.get(name);
            boolean ok = v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                    && v.getAsBigDecimal().stripTrailingZeros().scale() <= 0
                    && v.getAsBigDecimal().compareTo(BigDecimal.valueOf(bound.least())) >= 0
                    && v.getAsBigDecimal().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
            if (!ok) {
                throw bad(file, key, v, "a whole number from " + bound.least() + " to " + Integer.MAX_VALUE + ": "
                        + bound.means(), HINT);
            }
            int n = v.getAsInt();
            switch (name) {
                case "max_total" -> limits.maxConnections(n);
                case "max_per_address" -> limits.maxConnectionsPerAddress(n);
                case "request_seconds" -> limits.requestTimeout(Duration.ofSeconds(n));
                case "idle_seconds" -> limits.idleTimeout(Duration.ofSeconds(n));
                case "max_pipelined" -> limits.maxPipelined(n);
                case "requests_per_connection" -> limits.maxRequestsPerConnection(n);
                case "max_buffered_body_bytes" -> limits.maxBufferedBodyBytes(n);
                case "min_bytes_per_second" -> rate = new MinDataRate(n, rate.window());
                case "min_rate_window_seconds" -> rate = new MinDataRate(rate.bytesPerSecond(), Duration.ofSeconds(n));
                default -> throw new IllegalStateException("bound " + name + " is listed but not applied");
            }
        }
        return limits.minDataRate(rate).build();
    }

    private static final String READ_BUDGET_SHAPE = "an object {\"per_address\": {\"burst_ms\": N, "
            + "\"refill_ms_per_second\": N}, \"per_network\": {...}}";
    private static final List<String> READ_SCOPES = List.of("per_address", "per_network");
    private static final List<String> READ_BOUNDS = List.of("burst_ms", "refill_ms_per_second");

    /**
     * The CPU budgets for reads per address and per network: the defaults, with each value the file
     * names replaced, each checked by its dotted key ({@code read_budget.per_address.burst_ms}).
     */
    ReadBudgets readBudgets(Path file) throws CommandException {
        ReadBudgets budgets = ReadBudgets.defaults();
        if (readBudget == null) {
            return budgets;
        }
        ReadBudgets.Budget perAddress = budgets.perAddress();
        ReadBudgets.Budget perNetwork = budgets.perNetwork();
        for (String scope : readBudget.keySet()) {
            String key = "read_budget." + scope;
            if (!READ_SCOPES.contains(scope)) {
                throw CommandException.usage(key, where(file, key) + ": read_budget: unknown scope '" + scope
                        + "' (the scopes are per_address, per_network)", Suggestions.hint(scope, READ_SCOPES, HINT));
            }
            JsonElement v = readBudget.get(scope);
            if (!v.isJsonObject()) {
                throw bad(file, key, v, "an object {\"burst_ms\": N, \"refill_ms_per_second\": N}", HINT);
            }
            ReadBudgets.Budget was = scope.equals("per_address") ? perAddress : perNetwork;
            long burst = was.burstMs();
            long refill = was.refillMsPerSecond();
            for (String bound : v.getAsJsonObject().keySet()) {
                String dotted = key + "." + bound;
                JsonElement n = v.getAsJsonObject().get(bound);
                boolean ok = n.isJsonPrimitive() && n.getAsJsonPrimitive().isNumber()
                        && n.getAsBigDecimal().stripTrailingZeros().scale() <= 0
                        && n.getAsBigDecimal().compareTo(BigDecimal.ONE) >= 0
                        && n.getAsBigDecimal().compareTo(BigDecimal.valueOf(ReadBudgets.Budget.LARGEST)) <= 0;
                switch (bound) {
                    case "burst_ms", "refill_ms_per_second" -> {
                        if (!ok) {
                            throw bad(file, dotted, n, "a whole number of milliseconds of CPU from 1 to "
                                    + ReadBudgets.Budget.LARGEST + (bound.equals("burst_ms") ? " (4000: 4 s at once)"
                                    : " (250: a quarter of a core)"), HINT);
                        }
                    }
                    default -> throw CommandException.usage(dotted, where(file, dotted) + ": " + key
                            + ": unknown bound '" + bound + "' (the bounds are burst_ms, refill_ms_per_second)",
                            Suggestions.hint(bound, READ_BOUNDS, HINT));
                }
                if (bound.equals("burst_ms")) {
                    burst = n.getAsLong();
                } else {
                    refill = n.getAsLong();
                }
            }
            ReadBudgets.Budget now = new ReadBudgets.Budget(burst, refill);
            if (scope.equals("per_address")) {
                perAddress = now;
            } else {
                perNetwork = now;
            }
        }
        return new ReadBudgets(perAddress, perNetwork);
    }

    /** A bound's value: a whole number from 0 (no bound) to the largest int, else the key named. */
    private static int wholeBound(Path file, String key, JsonElement v) throws CommandException {
        boolean whole = v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                && v.getAsBigDecimal().stripTrailingZeros().scale() <= 0
                && v.getAsBigDecimal().signum() >= 0
                && v.getAsBigDecimal().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
        if (!whole) {
            throw bad(file, key, v, "a whole number from 0 (no bound) to " + Integer.MAX_VALUE, HINT);
        }
        return v.getAsInt();
    }

    /**
     * The daily write limits: the defaults, with each bound the file names replaced. Every kind and
     * bound is checked by name, so a typo is an error rather than a limit silently left at its default.
     */
    WriteQuota.Limits writeLimits(Path file) throws CommandException {
        WriteQuota.Limits limits = WriteQuota.Limits.defaults();
        if (dailyWriteLimits == null) {
            return limits;
        }
        List<String> kinds = Arrays.stream(WriteQuota.Kind.values()).map(WriteQuota.Kind::configName).toList();
        for (String name : dailyWriteLimits.keySet()) {
            String key = "daily_write_limits." + name;
            String where = where(file, key) + ": " + key;
            WriteQuota.Kind kind = WriteQuota.Kind.named(name).orElseThrow(() -> CommandException.usage(key,
                    where + " is not a kind of record (the kinds are " + String.join(", ", kinds) + ")",
                    Suggestions.hint(name, kinds, HINT)));
            JsonElement bounds = dailyWriteLimits.get(name);
            if (!bounds.isJsonObject()) {
                throw bad(file, key, bounds, "an object with per_key, per_address, per_network and/or total", HINT);
            }
            WriteQuota.Limit was = limits.of(kind);
            int perKey = was.perKey();
            int perAddress = was.perAddress();
            int total = was.total();
            int perNetwork = was.perNetwork();
            for (String bound : bounds.getAsJsonObject().keySet()) {
                int n = wholeBound(file, key + "." + bound, bounds.getAsJsonObject().get(bound));
                switch (bound) {
                    case "per_key" -> perKey = n;
                    case "per_address" -> perAddress = n;
                    case "total" -> total = n;
                    case "per_network" -> perNetwork = n;
                    default -> throw CommandException.usage(key + "." + bound, where(file, key + "." + bound) + ": "
                            + key + ": unknown bound '" + bound
                            + "' (the bounds are " + String.join(", ", BOUNDS) + ")", Suggestions.hint(bound, BOUNDS, HINT));
                }
            }
            limits = limits.with(kind, new WriteQuota.Limit(perKey, perAddress, total, perNetwork));
        }
        return limits;
    }

    /**
     * A value of the file refused, in {@link BadValue}'s words with the key where an option would be
     * ("invalid value '70000' for port in config file c.json: expected ..."), and the key as the
     * error object's {@code option}: the file's own words, with {@code option} null, said it otherwise.
     */
    static CommandException bad(Path file, String key, Object value, String expected, String hint) {
        String shown = value instanceof JsonElement j && j.isJsonPrimitive() && j.getAsJsonPrimitive().isString()
                ? j.getAsString() : String.valueOf(value);
        return CommandException.usage(key, BadValue.message(key + " in " + where(file, key), shown, expected),
                hint.isEmpty() ? HINT : hint);
    }

    /**
     * "config file F, line N": the file, and the line on which {@code dottedKey} stands when it can
     * be found, so an operator goes straight to it ("config file F" alone when it cannot).
     */
    static String where(Path file, String dottedKey) {
        String words = "config file " + file;
        try {
            var line = JsonKeyLines.lineOf(Files.readString(file), dottedKey);
            return line.isPresent() ? words + ", line " + line.getAsInt() : words;
        } catch (IOException | RuntimeException e) {
            return words;  // read once already: a file gone since is named without its line
        }
    }

    private static final List<String> BOUNDS = List.of("per_key", "per_address", "per_network", "total");

    static final String HINT = "see README, \"Running a coordinator in production\", for the keys and an example";
}
