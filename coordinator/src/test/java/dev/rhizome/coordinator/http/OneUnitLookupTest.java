package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /v1/units?unit=ID}: one unit by its id, in one request. A client that asked whom a unit
 * is leased to (`submit --unit` of another agent's unit) paged through every LEASED unit to find
 * it. On both stores: the row is read by its key in each.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class OneUnitLookupTest {
    @Parameter
    String store;

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().store(() -> store).into(started -> h = started);

    private UnitList get(String query) {
        return h.api.get("/v1/units?" + query, UnitList.newBuilder()).build();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void aUnitIsFoundByItsIdWithItsHolderAndStateAndNothingElseComes() {
        Identity runner = Identity.generate();
        WorkUnit leased = h.api.claim(runner);
        UnitList one = get("unit=" + enc(leased.getId()));
        assertThat(one.getUnitsList()).hasSize(1);
        UnitStatus u = one.getUnits(0);
        assertThat(u.getUnit().getId()).isEqualTo(leased.getId());
        assertThat(u.getState()).isEqualTo(UnitStatus.State.LEASED);
        assertThat(u.getHolder()).isEqualTo(runner.publicId().toByteString());
        assertThat(u.getUnit().getLeaseDeadlineMs()).isEqualTo(leased.getLeaseDeadlineMs());
        assertThat(one.getNext()).as("one unit, no further page").isEmpty();

        // the same entry the paged list has for it
        UnitStatus listed = get("state=LEASED").getUnitsList().stream()
                .filter(s -> s.getUnit().getId().equals(leased.getId())).findFirst().orElseThrow();
        assertThat(u).isEqualTo(listed);

        // with a state, only when the unit is in it
        assertThat(get("unit=" + enc(leased.getId()) + "&state=LEASED").getUnitsList()).hasSize(1);
        assertThat(get("unit=" + enc(leased.getId()) + "&state=OPEN").getUnitsList()).isEmpty();
        // an id nobody made, a prefix of one, text that is no id: 404 naming it, never an empty page
        // ("not leased") for a mistyped id
        for (String none : List.of("no-such-unit", leased.getId().substring(0, 8), "' OR 1=1 --", "%_%")) {
            ApiClient.Response r = h.api.get("/v1/units?unit=" + enc(none));
            assertThat(r.status()).as(none).isEqualTo(404);
            assertThat(r.error().getCode()).as(none).isEqualTo(Error.Code.NOT_FOUND);
            assertThat(r.error().getMessage()).as(none).isEqualTo("unknown unit " + none);
        }
    }

    @Test
    void aUnitIdThatPagesOrIsTooLongIsRefusedNamingTheParameter() {
        for (String query : List.of("unit=abc&limit=5", "unit=abc&after=x", "unit=" + "a".repeat(129),
                "unit=abc&state=GONE")) {
            ApiClient.Response r = h.api.get("/v1/units?" + query);
            assertThat(r.status()).as(query).isEqualTo(400);
            assertThat(r.error().getCode()).as(query).isEqualTo(Error.Code.BAD_REQUEST);
            assertThat(r.error().getMessage()).as(query).containsAnyOf("query parameter unit", "query parameter state");
        }
        assertThat(h.api.get("/v1/units?unit=" + "a".repeat(128)).status()).as("at the bound: just no such unit")
                .isEqualTo(404);
    }
}
