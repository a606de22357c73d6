package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.protocol.identity.PublicId;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  # the key: runner_id or proposer_id in `rhizome results --json`",
            "  rhizome ban --key 64HEXDIGITS --reason \"its results disagree with replicas\""},
        name = "ban", mixinStandardHelpOptions = true,
        description = "Ban a key (operators only): its claims, results, experiments and papers are refused from now on.")
public final class BanCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;
    @Mixin
    CoordinatorOption coordinator;
    @Option(names = "--key", required = true, paramLabel = "HEX", description = "The key's public id: 64 hex digits (as `rhizome id` prints it), or its base64 form as in the JSON of results and leaderboards.")
    String key;
    @Option(names = "--reason", defaultValue = "", description = "Why, given back with every refusal.", paramLabel = "TEXT")
    String reason;
    @Option(names = "--json", description = "Print one JSON object: key and key_id (the banned key: the same 64-hex id, key_id as every "
            + "other answer names a key, key as this one always had it), message.")
    boolean json;

    /**
     * The hex id, or the base64 form the JSON of records shows (`runner`, `proposer`, `publisher`
     * in `results`, `leaderboard`, `seed list`): an operator copies the key from where they saw it.
     */
    static PublicId parseKey(String text) {
        if (text.length() == 44 && text.endsWith("=")) {
            byte[] raw;
            try {
                raw = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is neither hex nor base64");
            }
            return PublicId.parse(HexFormat.of().formatHex(raw));
        }
        return PublicId.parse(text);
    }

    @Override
    public Integer call() {
        PublicId banned;
        try {
            banned = parseKey(key.strip());
        } catch (IllegalArgumentException e) {
            throw BadValue.of("--key", key, "a public id: 64 hex digits (as `rhizome id` prints it) or its base64 form",
                    "copy it from `rhizome results --json` (runner_id, proposer_id), or ask its owner for `rhizome id`");
        }
        CoordinatorClient client = Coordinators.client(coordinator, dataDir);
        try {
            Ack ack = client.ban(KeyBan.newBuilder().setKey(banned.toByteString()).setReason(reason)
                    .setBannedBy(client.identity().publicId().toByteString())
                    .setBannedMs(System.currentTimeMillis()).build());
            Output out = new Output(System.out);
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("key", banned.toString());
                // `key` was hex from the start (a contract); `key_id` is the name every other answer
                // gives a key in hex (runner_id, node_id, leaderboard --volunteers' key_id)
                o.addProperty("key_id", banned.toString());
                o.addProperty("message", ack.getMessage());
                out.json(o);
            } else {
                out.line(banned + ": " + ack.getMessage());
            }
            return ExitCodes.OK;
        } catch (CoordinatorException e) {
            throw Coordinators.failure(e, FollowUp.of(coordinator, dataDir));
        }
    }
}
