package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each operator key's terms as processes start with the operators configured: the first keys
 * from 0, a key rotated out ended and one added opened at the start of the process that changed
 * them, however late it records them. On both stores.
 */
class OperatorTermsKeptTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void termsFollowTheOperatorsEachProcessStartsWith(String kind) throws Exception {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        Identity c = Identity.generate();
        SettledHistory.onStore(kind, dir, store -> {
            MutableClock clock = new MutableClock(1_700_000_000_000L);
            new OperatorTermsKept(store, clock, new Operators(Set.of(a.publicId(), b.publicId()))).keep();
            clock.advance(Duration.ofHours(1));
            long restarted = clock.millis();
            OperatorTermsKept second = new OperatorTermsKept(store, clock, new Operators(Set.of(b.publicId(),
                    c.publicId())));
            clock.advance(Duration.ofMinutes(5));  // recorded at its first order or naming, later
            second.keep();
            second.keep();  // once per process

            List<OperatorTerm> terms = store.inReadTransaction(tx -> tx.operatorTerms());
            assertThat(terms)
                    .extracting(OperatorTerm::getOperator, OperatorTerm::getFromMs, OperatorTerm::getUntilMs)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple(a.publicId().toByteString(), 0L, restarted),
                            org.assertj.core.groups.Tuple.tuple(b.publicId().toByteString(), 0L, 0L),
                            org.assertj.core.groups.Tuple.tuple(c.publicId().toByteString(), restarted, 0L));
        });
    }
}
