package dev.rhizome.node.control;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.util.Optional;

/**
 * A control socket's answer that took no request and asks to be asked again: {@code busy} (every
 * place to answer taken) or {@code stopping} (the node is closing its socket). Other errors (an
 * unknown request, another user) are answers, not refusals: asked again they say the same.
 *
 * @param code  {@link ControlServer#BUSY_CODE} or {@link ControlServer#STOPPING_CODE}
 * @param error the node's words
 */
public record ControlRefusal(String code, String error) {
    /** The refusal {@code answer} is, or empty when it is an answer (or not JSON: the caller tells that). */
    public static Optional<ControlRefusal> of(String answer) {
        JsonObject o;
        try {
            JsonElement parsed = JsonParser.parseString(answer);
            if (!parsed.isJsonObject()) {
                return Optional.empty();
            }
            o = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            return Optional.empty();
        }
        if (!o.has("error") || !o.get("error").isJsonPrimitive()) {
            return Optional.empty();
        }
        String error = o.get("error").getAsString();
        String code = o.has("code") && o.get("code").isJsonPrimitive() ? o.get("code").getAsString()
                // a node before round 35 said busy in words alone
                : error.startsWith(ControlServer.BUSY_CODE + ":") ? ControlServer.BUSY_CODE : "";
        return code.equals(ControlServer.BUSY_CODE) || code.equals(ControlServer.STOPPING_CODE)
                ? Optional.of(new ControlRefusal(code, error)) : Optional.empty();
    }
}
