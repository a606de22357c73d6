package dev.rhizome.client.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Result;
import java.math.BigInteger;
import java.util.List;

/**
 * Two habits of protobuf's JSON that mislead whoever reads a command's answer, undone on every
 * record a command prints:
 * <ul>
 * <li>a 64-bit integer is a string ({@code "lease_deadline_ms": "1796230287142"} in `claim`'s unit,
 * while `renew` printed the same deadline as a number): an agent comparing it with a number gets
 * an error or nonsense. Here it is a JSON number (JSON numbers have no size limit; the values are
 * times, sizes, counters, steps and random seeds);</li>
 * <li>a value whose {@code has_<name>} sibling is false is the type's zero ({@code
 * "frontier_metric": 0.0} for a direction with no measured frontier, a perfect score to a reader
 * of a lower-is-better metric). Here it is null, as `brief`, `tree` and `wait` print a missing
 * metric; the {@code has_} flag stays.</li>
 * </ul>
 * Nested messages too. And one rule for every answer, records or not ({@link #absentAsNull}): an
 * absent value is null, never an empty string (an unset {@code parent}, {@code closed_reason} or
 * key was {@code ""}, which an agent reads as a value that is there and empty), and a number
 * that JSON has no way to write (NaN, an infinity) is null as well.
 */
public final class JsonValues {
    private static final String HAS = "has_";

    private JsonValues() {
    }

    /** What a command prints for a value that is not there. */
    public static JsonElement absent() {
        return JsonNull.INSTANCE;
    }

    /** {@code text} as JSON, or {@link #absent()} when it is null or empty. */
    public static JsonElement orAbsent(String text) {
        return text == null || text.isEmpty() ? absent() : new JsonPrimitive(text);
    }

    /**
     * Every empty string that is the value of a key, at any depth, made {@link #absent()}; the
     * key stays, so the schema is the same whether a value is there or not. Strings inside arrays
     * are elements, not absent values, and stay.
     */
    public static JsonElement absentAsNull(JsonElement element) {
        if (element instanceof JsonObject o) {
            for (String key : List.copyOf(o.keySet())) {
                JsonElement value = o.get(key);
                if (value instanceof JsonPrimitive p && p.isString() && p.getAsString().isEmpty() || notANumber(value)) {
                    o.add(key, absent());
                } else {
                    absentAsNull(value);
                }
            }
        } else if (element instanceof JsonArray array) {
            for (int i = 0; i < array.size(); i++) {
                if (notANumber(array.get(i))) {
                    array.set(i, absent());
                } else {
                    absentAsNull(array.get(i));
                }
            }
        }
        return element;
    }

    /**
     * A number JSON cannot write: NaN or an infinity, which the output's writer printed bare
     * ({@code "delta_frontier":Infinity}), so an agent's parser refused the whole answer. A
     * coordinator's numbers came from strangers' results (two agreeing replicas of the largest
     * double made an infinite mean, and a difference of two large finite metrics is infinite too),
     * so every answer is held to it: such a value is absent, null.
     */
    private static boolean notANumber(JsonElement value) {
        return value instanceof JsonPrimitive p && p.isNumber() && !Double.isFinite(p.getAsDouble());
    }

    static void fix(Message message, JsonObject json) {
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            String key = json.has(field.getName()) ? field.getName() : field.getJsonName();
            JsonElement value = json.get(key);
            if (value == null || field.isMapField()) {
                continue;
            }
            if (field.getJavaType() == FieldDescriptor.JavaType.LONG) {
                json.add(key, numbers(value));
            } else if (field.getJavaType() == FieldDescriptor.JavaType.DOUBLE
                    || field.getJavaType() == FieldDescriptor.JavaType.FLOAT) {
                json.add(key, finiteOrAbsent(value));
            } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                if (field.isRepeated() && value instanceof JsonArray array) {
                    List<?> values = (List<?>) message.getField(field);
                    for (int i = 0; i < values.size() && i < array.size(); i++) {
                        if (array.get(i) instanceof JsonObject o) {
                            fix((Message) values.get(i), o);
                        }
                    }
                } else if (!field.isRepeated() && value instanceof JsonObject o) {
                    fix((Message) message.getField(field), o);
                }
            }
        }
        if (message instanceof Result r && r.getStatus() != Result.Status.OK && json.has("metric")) {
            // a result has no has_metric flag: a CRASH or TIMEOUT printed "metric": 0.0 in `results --json`,
            // a perfect score to a reader of a lower-is-better metric, where `tree` says null
            json.add("metric", JsonNull.INSTANCE);
        }
        for (FieldDescriptor flag : message.getDescriptorForType().getFields()) {
            if (flag.getName().startsWith(HAS) && flag.getJavaType() == FieldDescriptor.JavaType.BOOLEAN
                    && !flag.isRepeated() && !(Boolean) message.getField(flag)) {
                String name = flag.getName().substring(HAS.length());
                if (message.getDescriptorForType().findFieldByName(name) != null && json.has(name)) {
                    json.add(name, JsonNull.INSTANCE);
                }
            }
        }
    }

    /**
     * A double as a number: protobuf's JSON writes NaN and the infinities as the strings "NaN",
     * "Infinity" and "-Infinity", a string where every other answer has a number; they are absent.
     */
    private static JsonElement finiteOrAbsent(JsonElement value) {
        if (value instanceof JsonPrimitive p && p.isString()) {
            return absent();
        }
        if (value instanceof JsonArray array) {
            JsonArray out = new JsonArray();
            array.forEach(e -> out.add(finiteOrAbsent(e)));
            return out;
        }
        return value;
    }

    /** A 64-bit integer, or an array of them, as JSON numbers. */
    private static JsonElement numbers(JsonElement value) {
        if (value instanceof JsonPrimitive p && p.isString()) {
            return new JsonPrimitive(new BigInteger(p.getAsString()));
        }
        if (value instanceof JsonArray array) {
            JsonArray out = new JsonArray();
            array.forEach(e -> out.add(numbers(e)));
            return out;
        }
        return value;
    }
}
