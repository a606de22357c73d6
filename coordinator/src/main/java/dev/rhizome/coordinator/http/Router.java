package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Exact-path routing: a method the server does not know is 501 on any path, an unknown path is
 * 404, a known path with another known method is 405.
 */
final class Router {
    /**
     * The methods HTTP defines (RFC 9110 9.3, and PATCH, RFC 5789): any other is a method this
     * server does not recognise, 501 whatever the path (RFC 9110 15.6.2), not 405, which says the
     * path exists and another method would do. Methods are case-sensitive: "get" is not one.
     */
    private static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    static final String SERVED = "GET, HEAD, POST";

    @FunctionalInterface
    interface Handler {
        Reply handle(ApiRequest request);
    }

    private final Map<String, Map<String, Handler>> routes = new HashMap<>();
    /** The query parameters each API read takes, so that a test can walk every one of them. */
    private final Map<String, Set<String>> params = new HashMap<>();
    private final Set<String> probes = new HashSet<>();
    /**
     * What each route that reads its query takes, by method and path ("POST /v1/claim": nothing),
     * so that a head is refused for its query before its body is read ({@link #queryRefusal}).
     */
    private final Map<String, Set<String>> checkedQueries = new HashMap<>();

    /**
     * An API read that takes exactly these query parameters: any other is {@code 400} naming it
     * and the ones it takes ({@code ?limt=5} was answered with the default page of 100, the typo
     * unseen, as a parameter given twice once was).
     */
    Router get(String path, Handler handler, String... params) {
        this.params.put(path, Set.of(params));
        return add("GET", path, checked("GET", path, Set.of(params), handler));
    }

    /**
     * A page for browsers or scrapers (the dashboard, its assets, /healthz, /metrics), which add
     * query parameters of their own (cache busters, a scraper's params): the query is not read.
     */
    Router page(String path, Handler handler) {
        return add("GET", path, handler);
    }

    /**
     * A page whose answer is a few bytes of the server's own state, asked by load balancers and
     * monitors (/healthz): never refused for what its address spent on reads or holds unread.
     */
    Router probe(String path, Handler handler) {
        probes.add(path);
        return page(path, handler);
    }

    boolean isProbe(String path) {
        return probes.contains(path);
    }

    /** A signed write: its body says everything, so it takes no query parameters. */
    Router post(String path, Handler handler) {
        return add("POST", path, checked("POST", path, Set.of(), handler));
    }

    private Router add(String method, String path, Handler handler) {
        routes.computeIfAbsent(path, p -> new HashMap<>()).put(method, handler);
        return this;
    }

    private Handler checked(String method, String path, Set<String> params, Handler handler) {
        checkedQueries.put(method + " " + path, params);
        return request -> {
            checkQuery(request, params);
            return handler.handle(request);
        };
    }

    private static void checkQuery(ApiRequest request, Set<String> params) {
        String path = request.path();
        request.query().check(params, params.isEmpty() ? path + " takes no query parameters"
                : path + " takes " + String.join(", ", new TreeSet<>(params)));
    }

    /**
     * The {@code 400} a routed request's query earns ({@link QueryParameters#check}), or null: it
     * is fine, or its route does not read it (a page), or the request is not routed at all. The
     * same check its handler makes first, asked of the head alone: a write's query is refused
     * before its body is read ({@link HeadRefusals}), and before its {@code If-Match} is judged
     * ({@link Preconditions}: a condition is judged only where the request would be served).
     */
    HttpError queryRefusal(ApiRequest request) {
        String method = request.method().equals("HEAD") ? "GET" : request.method();
        Set<String> params = checkedQueries.get(method + " " + request.path());
        if (params == null) {
            return null;
        }
        try {
            checkQuery(request, params);
            return null;
        } catch (HttpError e) {
            return e;
        }
    }

    /** The path as a metrics label: itself when it is a route, else one shared label. */
    String label(String path) {
        return routes.containsKey(path) ? path : "unknown";
    }

    /**
     * The method as a metrics label: itself when some route accepts it (or HEAD), else "other".
     * A method is any token the client likes; as a label each new one would add a time series
     * for good, so a client could grow the registry and /metrics without bound.
     */
    String methodLabel(String method) {
        if (method.equals("HEAD")) {
            return method;
        }
        for (Map<String, Handler> byMethod : routes.values()) {
            if (byMethod.containsKey(method)) {
                return method;
            }
        }
        return "other";
    }

    /**
     * "OPTIONS *" asks about the server as a whole (RFC 9110, 9.3.7) and gets the methods it
     * serves. Every other target that is no path was refused before routing ({@link RequestTarget}).
     */
    private static Handler asteriskForm(String method, String path) {
        return path.equals("*") && method.equals("OPTIONS") ? r -> Reply.text("").withAllow(SERVED) : null;
    }

    /** Whether a request with this method and path would reach a handler (no 404, 405 or 501 first). */
    boolean serves(String method, String path) {
        Map<String, Handler> byMethod = routes.get(path);
        return byMethod != null && byMethod.containsKey(method.equals("HEAD") ? "GET" : method);
    }

    /** The paths that accept this method, so that a test can walk every route of a kind. */
    Set<String> paths(String method) {
        Set<String> paths = new TreeSet<>();
        routes.forEach((path, byMethod) -> {
            if (byMethod.containsKey(method)) {
                paths.add(path);
            }
        });
        return paths;
    }

    /** The query parameters the API read at {@code path} takes (none for any other route). */
    Set<String> params(String path) {
        return params.getOrDefault(path, Set.of());
    }

    /**
     * The 501 a method HTTP does not define earns on any path, with or without a body
     * ({@link MessageRules#checkHead} asks it of a head that frames one); null for a method it defines.
     */
    static HttpError unknownMethod(String method) {
        return KNOWN_METHODS.contains(method) ? null : new HttpError(HttpResponseStatus.NOT_IMPLEMENTED,
                Error.Code.UNSUPPORTED, "method " + LogSafe.of(method, 40) + " is not one this server knows; it serves "
                + SERVED);
    }

    Handler route(String method, String path) {
        HttpError unknown = unknownMethod(method);
        if (unknown != null) {
            throw unknown;
        }
        Handler options = asteriskForm(method, path);
        if (options != null) {
            return options;
        }
        Map<String, Handler> byMethod = routes.get(path);
        if (byMethod == null) {
            throw new HttpError(HttpResponseStatus.NOT_FOUND, Error.Code.NOT_FOUND, "no route " + LogSafe.of(path, 80)
                    + (path.indexOf('%') >= 0 ? " (paths are matched as sent: their percent-escapes are not decoded)" : ""));
        }
        // HEAD is GET without the body (RFC 9110, 9.3.2): ApiHandler drops the body, keeps the length.
        Handler handler = byMethod.get(method.equals("HEAD") ? "GET" : method);
        if (handler == null) {
            Set<String> allowed = new TreeSet<>(byMethod.keySet());
            if (allowed.contains("GET")) {
                allowed.add("HEAD");
            }
            // The message names what the Allow header does (it named GET alone where Allow said GET, HEAD)
            String accepted = String.join(", ", allowed);
            throw new HttpError(HttpResponseStatus.METHOD_NOT_ALLOWED, Error.Code.UNSUPPORTED,
                    LogSafe.of(path, 80) + " does not accept " + method + "; it accepts " + accepted, accepted);
        }
        return handler;
    }
}
