package dev.rhizome.client.commands;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
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

    static CoordinatorFile read(Path file) throws CommandException {
        try {
            CoordinatorFile parsed = new Gson().fromJson(Files.readString(file), CoordinatorFile.class);
            if (parsed == null) {
                throw new CommandException(ExitCodes.USAGE, "config file " + file + " is empty");
            }
            return parsed;
        } catch (IOException e) {
            throw new CommandException(ExitCodes.USAGE, "cannot read config file " + file + ": " + Problems.describe(e));
        } catch (JsonParseException e) {
            throw new CommandException(ExitCodes.USAGE, "config file " + file + " is not valid: " + Problems.describe(e));
        }
    }
}
