package dev.rhizome.coordinator.service;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Map;

/**
 * Makes a document JSON can write: every number that is NaN or infinite becomes null. Gson writes
 * them bare ({@code Infinity}), which no JSON parser reads, so one such number (a frontier or
 * baseline stored infinite before {@code core.FiniteMean}, which nothing rewrites) made the
 * dashboard's whole data unreadable for every viewer. The page already shows a missing number as
 * missing.
 */
final class FiniteJson {
    private FiniteJson() {
    }

    /** {@code element} with its non-finite numbers nulled, in place; returned for chaining. */
    static JsonElement nulled(JsonElement element) {
        if (element instanceof JsonObject object) {
            for (Map.Entry<String, JsonElement> e : object.entrySet()) {
                if (isNonFinite(e.getValue())) {
                    e.setValue(JsonNull.INSTANCE);
                } else {
                    nulled(e.getValue());
                }
            }
        } else if (element instanceof JsonArray array) {
            for (int i = 0; i < array.size(); i++) {
                if (isNonFinite(array.get(i))) {
                    array.set(i, JsonNull.INSTANCE);
                } else {
                    nulled(array.get(i));
                }
            }
        }
        return element;
    }

    private static boolean isNonFinite(JsonElement e) {
        if (!(e instanceof JsonPrimitive p) || !p.isNumber()) {
            return false;
        }
        double d = p.getAsDouble();
        return Double.isNaN(d) || Double.isInfinite(d);
    }
}
