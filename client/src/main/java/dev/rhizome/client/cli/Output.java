package dev.rhizome.client.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Message;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.Printable;
import java.io.PrintStream;
import java.util.List;

/**
 * Writes a command's answer: one compact JSON object per line for --json, text otherwise. Text is
 * shown {@link Printable}: much of it was written by strangers (hardware classes, names, reasons,
 * descriptions) and goes to a terminal, where an escape sequence retitles or clears the window, a
 * carriage return overwrites a line and a bidirectional override makes it read backwards; each such
 * character is shown as {@code ?}. JSON escapes control characters itself.
 */
public final class Output {
    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    private final PrintStream out;

    public Output(PrintStream out) {
        this.out = out;
    }

    /**
     * A record as JSON: protobuf's, with every key also in hex ({@link KeyIds}), 64-bit integers as
     * numbers and unset metrics as null ({@link JsonValues}).
     */
    public static JsonElement toJson(Message message) {
        JsonElement json = JsonParser.parseString(Json.compact(message));
        if (json instanceof JsonObject o) {
            KeyIds.add(message, o);  // every key also in hex, as the other commands print keys
            JsonValues.fix(message, o);
        }
        return json;
    }

    /** Prints {@code {"key": [messages as JSON...]}}. */
    public void jsonList(String key, List<? extends Message> messages) {
        JsonArray array = new JsonArray();
        messages.forEach(m -> array.add(toJson(m)));
        JsonObject o = new JsonObject();
        o.add(key, array);
        json(o);
    }

    /** Prints one JSON value on a line, every absent value null ({@link JsonValues#absentAsNull}). */
    public void json(JsonElement element) {
        out.println(GSON.toJson(JsonValues.absentAsNull(element)));
    }

    /**
     * A JSON answer another module wrote as text (a benchmark's or the demo's summary line), parsed
     * so that it passes the same rules as every other answer.
     */
    public void json(String jsonText) {
        json(JsonParser.parseString(jsonText));
    }

    /** A block of text that ends its own lines (a summary of several lines). */
    public void text(String block) {
        out.print(Printable.shown(block));
    }

    public void line(String text) {
        out.println(Printable.shown(text));
    }

    public void printf(String format, Object... args) {
        out.print(Printable.shown(String.format(format, args)));
    }

    public PrintStream stream() {
        return out;
    }
}
