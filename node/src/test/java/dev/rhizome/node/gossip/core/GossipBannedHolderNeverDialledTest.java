package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelDial;
import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's case "a banned peer is never dialled for a bundle", through the core on virtual time:
 * a holder that sends wrong bundles until it is banned, while a gossip dial to it is still in
 * flight. Its dial is given up at the ban (the driver closes its socket: a late answer would cost
 * both ends a handshake, then be refused), the work naming it holder again asks someone else, and
 * no fetch lists its address among the holders to take pieces from.
 */
class GossipBannedHolderNeverDialledTest {
    long now = 500_000_000;

    @Test
    void aBannedHolderIsNeitherDialledNorFetchedFromNorListedForPieces() {
        GossipCore core = GossipRestartFromRememberedPeersTest.core(39);
        Peer rogue = new Peer();
        Peer honest = new Peer();
        List<Effect> started = core.start(List.of(rogue.info.toBuilder().setTimeMs(now).build()), now);
        assertThat(only(started, Dial.class)).as("the rogue is dialled, its answer pending")
                .anySatisfy(d -> assertThat(d.peer().getNode()).isEqualTo(rogue.id.toByteString()));

        List<Effect> atTheBan = null;
        for (int i = 0; i < 100 && !core.isBanned(rogue.id, now); i++) {
            String commit = Peer.commit(i);
            List<Effect> wanted = core.wantFrom(commit, List.of(rogue.info), now);
            assertThat(only(wanted, Fetch.class)).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(rogue.id));
            atTheBan = core.onFetchFailed(rogue.id, commit, FetchFailure.WRONG_BUNDLE, now);
        }
        assertThat(core.isBanned(rogue.id, now)).as("banned for wrong bundles").isTrue();
        assertThat(only(atTheBan, CancelDial.class)).as("its dial in flight given up")
                .containsExactly(new CancelDial(rogue.id));

        List<Effect> after = new ArrayList<>(core.wantFrom(Peer.commit(1000), List.of(rogue.info, honest.info), now));
        assertThat(only(after, Fetch.class)).singleElement().satisfies(f -> {
            assertThat(f.from()).isEqualTo(honest.id);
            assertThat(f.addresses()).as("holders the fetch may take pieces from")
                    .noneMatch(a -> a.info().getNode().equals(rogue.id.toByteString())
                            || a.info().getHost().equals(rogue.info.getHost()));
        });
        assertThat(only(core.wantFrom(Peer.commit(1001), List.of(rogue.info), now), Fetch.class))
                .as("a bundle only the banned peer holds").isEmpty();
        for (long t = now; t < now + 120_000; t += 1_000) {
            after.addAll(core.onTick(t));
        }
        assertThat(only(after, Dial.class)).noneMatch(d -> PublicId.of(d.peer().getNode()).equals(rogue.id));
    }
}
