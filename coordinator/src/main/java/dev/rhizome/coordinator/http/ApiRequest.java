package dev.rhizome.coordinator.http;

import java.util.List;
import java.util.Map;

/** An HTTP request, copied off Netty's buffers so handlers can run on worker threads. */
record ApiRequest(String method, String path, QueryParameters query, String contentType, byte[] body,
        String origin) {
    ApiRequest(String method, String path, QueryParameters query, String contentType, byte[] body) {
        this(method, path, query, contentType, body, "");
    }

    /** A request whose query parameters each have one value: a test's. */
    ApiRequest(String method, String path, Map<String, List<String>> query, String contentType, byte[] body) {
        this(method, path, QueryParameters.of(query), contentType, body, "");
    }

    /**
     * The same request from this address scope ({@link dev.rhizome.coordinator.core.AddressScope}):
     * what the daily write limits count per address.
     */
    ApiRequest from(String origin) {
        return new ApiRequest(method, path, query, contentType, body, origin);
    }

    /** A query parameter, or "" when absent or empty ({@link QueryParameters#get}). */
    String param(String name) {
        return query.get(name);
    }
}
