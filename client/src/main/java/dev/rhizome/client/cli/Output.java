package dev.rhizome.client.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.Message;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.Printable;
import java.io.PrintStream;

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

    public static JsonElement toJson(Message message) {
        JsonElement json = JsonParser.parseString(Json.compact(message));
        if (json instanceof com.google.gson.JsonObject o) {
            KeyIds.add(message, o);  // every key also in hex, as the other commands print keys
        }
        return json;
    }

    /**
     * A message as JSON with its 64-bit integers as JSON numbers, for answers made of counters
     * (`status`): protobuf's JSON writes them as strings (JavaScript's doubles lose digits past
     * 2^53), and an agent comparing {@code "12" > 9} gets nonsense or an error. Counters never come
     * near 2^53. Top-level fields only: nested messages keep the protobuf form.
     */
    public static JsonElement toJsonWithNumbers(Message message) {
        JsonElement json = toJson(message);
        if (json instanceof com.google.gson.JsonObject o) {
            for (com.google.protobuf.Descriptors.FieldDescriptor f : message.getDescriptorForType().getFields()) {
                if (f.isRepeated() || f.getJavaType() != com.google.protobuf.Descriptors.FieldDescriptor.JavaType.LONG) {
                    continue;
                }
                String key = o.has(f.getName()) ? f.getName() : f.getJsonName();
                if (o.get(key) instanceof com.google.gson.JsonPrimitive p && p.isString()) {
                    o.add(key, new com.google.gson.JsonPrimitive(new java.math.BigInteger(p.getAsString())));
                }
            }
        }
        return json;
    }

    /** Prints {@code {"key": [messages as JSON...]}}. */
    public void jsonList(String key, java.util.List<? extends Message> messages) {
        com.google.gson.JsonArray array = new com.google.gson.JsonArray();
        messages.forEach(m -> array.add(toJson(m)));
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.add(key, array);
        json(o);
    }

    public void json(JsonElement element) {
        out.println(GSON.toJson(element));
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
