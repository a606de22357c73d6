package dev.rhizome.client.commands;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Problems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The coordinator's config file (JSON); every key is optional and a flag given on the command
 * line wins over it. See README, "Running a coordinator in production".
 */
record CoordinatorFile(String host, Integer port, String store, @SerializedName("lease_seconds") Long leaseSeconds,
        @SerializedName("max_body_bytes") Integer maxBodyBytes, List<String> operators) {

    static final CoordinatorFile EMPTY = new CoordinatorFile(null, null, null, null, null, null);

    /** The keys the file may hold; any other is a typo that would otherwise be silently ignored. */
    static final java.util.Set<String> KEYS = new java.util.LinkedHashSet<>(
            List.of("host", "port", "store", "lease_seconds", "max_body_bytes", "operators"));

    static CoordinatorFile read(Path file) throws CommandException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.USAGE, "usage", "cannot read config file " + file + ": "
                    + Problems.describe(e), "pass --config FILE with a readable JSON file, or leave --config out");
        }
        JsonObject object;
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (parsed == null || parsed.isJsonNull()) {
                throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file + " is empty", HINT);
            }
            if (!parsed.isJsonObject()) {
                throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file
                        + " must hold one JSON object {...}", HINT);
            }
            object = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file + " is not valid JSON: "
                    + Problems.describe(e), HINT);
        }
        for (String key : object.keySet()) {
            if (!KEYS.contains(key)) {
                throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file + ": unknown key '" + key
                        + "' (the keys are " + String.join(", ", KEYS) + ")", HINT);
            }
        }
        for (String key : KEYS) {
            JsonElement v = object.get(key);
            if (v == null || v.isJsonNull()) {
                continue;
            }
            boolean ok = switch (key) {
                case "host", "store" -> v.isJsonPrimitive() && v.getAsJsonPrimitive().isString();
                case "port", "lease_seconds", "max_body_bytes" -> v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                        && v.getAsBigDecimal().stripTrailingZeros().scale() <= 0;
                default -> v.isJsonArray() && v.getAsJsonArray().asList().stream()
                        .allMatch(e -> e.isJsonPrimitive() && e.getAsJsonPrimitive().isString());
            };
            if (!ok) {
                String expected = switch (key) {
                    case "host", "store" -> "a string";
                    case "port", "lease_seconds", "max_body_bytes" -> "a whole number";
                    default -> "a list of public ids (strings)";
                };
                throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file + ": '" + key + "' must be "
                        + expected + ", got " + v, HINT);
            }
        }
        try {
            return new Gson().fromJson(object, CoordinatorFile.class);
        } catch (JsonParseException | NumberFormatException e) {
            throw new CommandException(ExitCodes.USAGE, "usage", "config file " + file + " is not valid: "
                    + Problems.describe(e), HINT);
        }
    }

    private static final String HINT = "see README, \"Running a coordinator in production\", for the keys and an example";
}
