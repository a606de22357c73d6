package dev.rhizome.client.cli;

import com.google.gson.JsonObject;

/**
 * The four keys of every error object, {@code error}, {@code message}, {@code hint} and
 * {@code option}, written in one place: a command's failure ({@link ErrorReporter}), an
 * interruption, and the errors inside answers that are not failures of the command (`claim`'s
 * {@code no_work}, `wait`'s {@code timed_out}, an `agent` round's error). Those lacked
 * {@code option}, so an agent reading any error object could not rely on its shape.
 */
public final class ErrorFields {
    private ErrorFields() {
    }

    /** Adds the keys to {@code o}; {@code option} is the option at fault as typed, or null. */
    public static JsonObject put(JsonObject o, String error, String message, String hint, String option) {
        o.addProperty("error", error);
        o.addProperty("message", message);
        o.addProperty("hint", hint);
        o.addProperty("option", option);
        return o;
    }

    /** The keys of a failure that is no option's. */
    public static JsonObject put(JsonObject o, String error, String message, String hint) {
        return put(o, error, message, hint, null);
    }
}
