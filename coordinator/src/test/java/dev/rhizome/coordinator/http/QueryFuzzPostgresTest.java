package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.support.Harness;

/** {@link QueryFuzzTest} on PostgreSQL (skipped unless RHIZOME_TEST_PG names one). */
class QueryFuzzPostgresTest extends QueryFuzzTest {
    @Override
    String store() {
        return Harness.POSTGRESQL;
    }
}
