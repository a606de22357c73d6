package dev.rhizome.coordinator.http;

import java.util.List;
import java.util.Map;

/** An HTTP request, copied off Netty's buffers so handlers can run on worker threads. */
record ApiRequest(String method, String path, Map<String, List<String>> query, String contentType, byte[] body) {
    /** A query parameter, or "" when absent. */
    String param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? "" : values.get(0);
    }
}
