package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.RecordBounds;
import dev.rhizome.proto.v1.Error;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Map;

/** An HTTP request, copied off Netty's buffers so handlers can run on worker threads. */
record ApiRequest(String method, String path, Map<String, List<String>> query, String contentType, byte[] body,
        String origin) {
    ApiRequest(String method, String path, Map<String, List<String>> query, String contentType, byte[] body) {
        this(method, path, query, contentType, body, "");
    }

    /**
     * The same request from this address scope ({@link dev.rhizome.coordinator.core.AddressScope}):
     * what the daily write limits count per address.
     */
    ApiRequest from(String origin) {
        return new ApiRequest(method, path, query, contentType, body, origin);
    }

    /**
     * A query parameter, or "" when absent. One given twice ({@code ?limit=5&limit=7}) is refused:
     * taking either silently would hide the client's mistake, and a cache or proxy in front may
     * have read the other. A value must be printable text, as a record's strings are
     * ({@link dev.rhizome.coordinator.core.RecordBounds#printable}), else 400 naming it.
     */
    String param(String name) {
        List<String> values = query.get(name);
        if (values != null && values.size() > 1) {
            throw new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST,
                    "query parameter " + name + " is given " + values.size() + " times; give it once");
        }
        String value = values == null || values.isEmpty() ? "" : values.get(0);
        // Decoded from escapes, a value may hold any character: "%00" reached PostgreSQL, which
        // refuses a NUL in text, as a 500; "%1B" came back in the "unknown direction" answer.
        RecordBounds.printable("query parameter " + name, value);
        return value;
    }
}
