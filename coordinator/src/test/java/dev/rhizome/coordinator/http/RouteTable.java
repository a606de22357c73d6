package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import java.util.Set;

/** The coordinator's routes, built without services: for tests that must walk every route of a method. */
final class RouteTable {
    private RouteTable() {
    }

    static Set<String> paths(String method) {
        return router().paths(method);
    }

    /** The query parameters the API read at {@code path} takes. */
    static Set<String> params(String path) {
        return router().params(path);
    }

    private static Router router() {
        return Routes.build(new Routes.Services(null, null, null, null, null, null, null, null, null, null, null, null),
                new SignedRequests(new CoordinatorMetrics(), SignedRequests.Admission.ANYONE, () -> "test-network"), new CoordinatorMetrics());
    }
}
