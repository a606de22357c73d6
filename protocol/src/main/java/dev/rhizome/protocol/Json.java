package dev.rhizome.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashSet;
import java.util.Set;

/** The one JSON mapping of our protobuf messages (proto3 canonical JSON, field names as in .proto). */
public final class Json {
    // Fields at their default value are printed too: agents reading --json get the same keys every time.
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames()
            .alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Printer COMPACT = PRINTER.omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private Json() {
    }

    public static String print(Message message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
        }
    }

    public static String compact(Message message) {
        try {
            return COMPACT.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName(), e);
        }
    }

    /**
     * Parses JSON into a builder; unknown fields are an error, so typos don't pass silently. The
     * input must be exactly one JSON object and then end (whitespace aside): protobuf's parser
     * stops after the first value and would accept trailing garbage, so the end is checked here.
     */
    public static <B extends Message.Builder> B parse(String json, B builder) throws InvalidProtocolBufferException {
        PARSER.merge(singleValue(json), builder);
        return builder;
    }

    private static String singleValue(String json) throws InvalidProtocolBufferException {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        try {
            JsonElement value = JsonParser.parseReader(reader);
            if (!value.isJsonObject()) {
                throw new InvalidProtocolBufferException("expected a JSON object, got " + kind(value));
            }
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new InvalidProtocolBufferException("unexpected data after the JSON object at " + reader.getPath()
                        + "; send exactly one object");
            }
            JsonReader again = new JsonReader(new StringReader(json));
            again.setStrictness(Strictness.STRICT);
            rejectDuplicateNames(again);
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new InvalidProtocolBufferException("malformed JSON: " + reason(e));
        }
        return json;
    }

    /**
     * A name given twice in one object: the parser kept the last and dropped the first, where
     * another reader of the same text (a proxy, an auditor's tool) may keep the first, so the two
     * would read different records from one body. The reader's nesting limit bounds the recursion.
     */
    private static void rejectDuplicateNames(JsonReader reader) throws IOException {
        switch (reader.peek()) {
            case BEGIN_OBJECT -> {
                reader.beginObject();
                Set<String> names = new HashSet<>();
                while (reader.hasNext()) {
                    String name = reader.nextName();
                    if (!names.add(name)) {
                        throw new InvalidProtocolBufferException("key \"" + name + "\" is given twice at "
                                + reader.getPath() + "; give each key once");
                    }
                    rejectDuplicateNames(reader);
                }
                reader.endObject();
            }
            case BEGIN_ARRAY -> {
                reader.beginArray();
                while (reader.hasNext()) {
                    rejectDuplicateNames(reader);
                }
                reader.endArray();
            }
            default -> reader.skipValue();
        }
    }

    /** Longest path kept in a reason: a deeply nested body's path repeats itself for kilobytes. */
    static final int MAX_REASON_CHARS = 300;

    /**
     * Gson's own words for what is wrong and where, without its wrapping class names, its advice to
     * parse leniently (which we never do) or its troubleshooting link, and cut to a sane length.
     */
    static String reason(Exception e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() != null && t.getMessage().startsWith(t.getCause().getClass().getName())) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        message = message.lines().findFirst().orElse(message)
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON ", "");
        return message.length() > MAX_REASON_CHARS ? message.substring(0, MAX_REASON_CHARS) + "..." : message;
    }

    private static String kind(JsonElement value) {
        return value.isJsonArray() ? "an array" : value.isJsonNull() ? "null" : "a " + value.getClass().getSimpleName();
    }
}
