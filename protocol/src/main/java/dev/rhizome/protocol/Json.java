package dev.rhizome.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.StringReader;
import java.util.HashSet;
import java.util.Map;
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
        JsonElement value = singleValue(json);
        rejectArraysForOneValue(value.getAsJsonObject(), builder.getDescriptorForType(), "$");
        PARSER.merge(json, builder);
        return builder;
    }

    /**
     * An array given for a field that takes one value: protobuf's parser reads a field's value
     * through Gson's {@code getAsString}, which takes a one-element array for its element, so
     * {@code "version": [1]} was version 1 and {@code "type": ["rhizome.v1.Seed"]} a type, where
     * any other reader of the body sees an array. Well-known types (Value, ListValue, Struct) are
     * the parser's own and take arrays; unknown names are left to the parser, which refuses them.
     */
    private static void rejectArraysForOneValue(JsonObject object, Descriptors.Descriptor type, String path)
            throws InvalidProtocolBufferException {
        if (type.getFullName().startsWith("google.protobuf.")) {
            return;
        }
        for (Map.Entry<String, JsonElement> entry : object.entrySet()) {
            Descriptors.FieldDescriptor field = type.findFieldByName(entry.getKey());
            if (field == null) {
                field = type.getFields().stream().filter(f -> f.getJsonName().equals(entry.getKey())).findFirst()
                        .orElse(null);
            }
            if (field == null) {
                continue;
            }
            JsonElement value = entry.getValue();
            String at = path + "." + entry.getKey();
            if (value.isJsonPrimitive()) {
                rejectWrongText(field, value.getAsJsonPrimitive(), at);
            }
            if (value.isJsonArray() && !field.isMapField()) {
                int i = 0;
                for (JsonElement element : value.getAsJsonArray()) {
                    if (element.isJsonPrimitive()) {
                        rejectWrongText(field, element.getAsJsonPrimitive(), at + "[" + i + "]");
                    }
                    i++;
                }
            }
            if (value.isJsonArray() && !field.isRepeated()) {
                throw new InvalidProtocolBufferException("field " + at + " takes one value, and was given an array");
            }
            if (value.isJsonArray() && !field.isMapField()) {
                int i = 0;
                for (JsonElement element : value.getAsJsonArray()) {
                    if (element.isJsonArray()) {  // [["a"]] was read as ["a"]
                        throw new InvalidProtocolBufferException("field " + at + "[" + i + "] takes one value, and was "
                                + "given an array");
                    }
                    i++;
                }
            }
            if (field.getJavaType() != Descriptors.FieldDescriptor.JavaType.MESSAGE || field.isMapField()) {
                continue;
            }
            if (value.isJsonObject()) {
                rejectArraysForOneValue(value.getAsJsonObject(), field.getMessageType(), at);
            } else if (value.isJsonArray()) {
                int i = 0;
                for (JsonElement element : value.getAsJsonArray()) {
                    if (element.isJsonObject()) {
                        rejectArraysForOneValue(element.getAsJsonObject(), field.getMessageType(), at + "[" + i + "]");
                    }
                    i++;
                }
            }
        }
    }

    /**
     * A number or boolean given for a string or bytes field, or a string holding a lone surrogate:
     * protobuf's parser reads a string field's value through Gson's {@code getAsString}, so
     * {@code "network": 5} was the network "5" and {@code "type": true} the type "true", where any
     * other reader of the body sees a number; and a lone surrogate (an escaped D800 with no low
     * surrogate after it), which no UTF-8 can carry, became "?" once the record was encoded. Each is
     * refused naming the field.
     */
    private static void rejectWrongText(Descriptors.FieldDescriptor field, JsonPrimitive value, String at)
            throws InvalidProtocolBufferException {
        Descriptors.FieldDescriptor.JavaType type = field.getJavaType();
        if (type != Descriptors.FieldDescriptor.JavaType.STRING && type != Descriptors.FieldDescriptor.JavaType.BYTE_STRING) {
            return;
        }
        if (!value.isString()) {
            throw new InvalidProtocolBufferException("field " + at + " takes a string, and was given a "
                    + (value.isNumber() ? "number" : "boolean") + " (" + LogSafe.of(value.toString(), 40)
                    + "); quote it");
        }
        String text = value.getAsString();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidProtocolBufferException(String.format("field %s holds a lone surrogate (\\u%04x) at "
                        + "character %d: a JSON string's \\u escapes must pair a high surrogate with a low one "
                        + "(RFC 8259, 7), as UTF-8 text does", at, (int) c, i));
            }
        }
    }

    private static JsonElement singleValue(String json) throws InvalidProtocolBufferException {
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
            return value;
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new InvalidProtocolBufferException("malformed JSON: " + reason(e));
        }
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

    private static final String LENIENT_ADVICE = "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON ";

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
        message = message.lines().findFirst().orElse(message);
        if (message.contains(LENIENT_ADVICE)) {
            // Gson's advice was all it said of what is wrong ("... malformed JSON at line 1 column 13"):
            // a NaN, or a number of 500,000 digits, was refused naming only where
            message = message.replace(LENIENT_ADVICE, "something strict JSON (RFC 8259) does not have, such as an "
                    + "unquoted or single-quoted name or word (NaN, Infinity), a comment or a number too long to read, ");
        }
        return message.length() > MAX_REASON_CHARS ? message.substring(0, MAX_REASON_CHARS) + "..." : message;
    }

    private static String kind(JsonElement value) {
        return value.isJsonArray() ? "an array" : value.isJsonNull() ? "null" : "a " + value.getClass().getSimpleName();
    }
}
