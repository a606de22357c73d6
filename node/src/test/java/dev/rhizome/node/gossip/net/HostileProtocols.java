package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Protocols for hostile nodes that pass the handshake (they own their keys) and then misbehave on
 * every tick toward every neighbour.
 */
final class HostileProtocols {
    private HostileProtocols() {
    }

    /** Announcements with broken signatures, and inventories and NodeInfo claiming another node's id. */
    static PeerProtocol forger(Identity identity, NodeInfo self, PublicId victim) {
        return new Hostile(identity, self, (now, random) -> {
            Inventory claim = Inventory.newBuilder().setNode(victim.toByteString()).addCommits(commit(random)).setTimeMs(now).build();
            SignedEnvelope badSignature = Envelopes.sign(identity, claim.toBuilder().setNode(identity.publicId().toByteString()).build());
            byte[] signature = badSignature.getSignature().toByteArray();
            signature[0] ^= 1;
            return List.of(
                    announce(badSignature.toBuilder().setSignature(ByteString.copyFrom(signature)).build()),
                    announce(Envelopes.sign(identity, claim)),
                    announce(Envelopes.sign(identity, NodeInfo.newBuilder().setNode(victim.toByteString())
                            .setHost("203.0.113.1").setPort(1).setTimeMs(now).build())));
        });
    }

    /** Far more announcements than any honest node sends: fresh ones and replays of the same one. */
    static PeerProtocol flooder(Identity identity, NodeInfo self) {
        SignedEnvelope[] replayed = new SignedEnvelope[1];
        return new Hostile(identity, self, (now, random) -> {
            if (replayed[0] == null) {
                replayed[0] = inventory(identity, commit(random), now);
            }
            List<Gossip> burst = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                burst.add(announce(i % 2 == 0 ? replayed[0] : inventory(identity, commit(random), now)));
            }
            return burst;
        });
    }

    /**
     * NodeInfo announcements of made-up nodes, each padded to 60 KB in its hardware class: a
     * signature covers any length, and a frame holds one easily.
     */
    static PeerProtocol padder(Identity identity, NodeInfo self) {
        return new Hostile(identity, self, (now, random) -> {
            List<Gossip> burst = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Identity made = Identity.generate();
                burst.add(announce(Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                        .setHost("127.0.0.1").setPort(1 + random.nextInt(60_000)).setHardwareClass("x".repeat(60_000))
                        .setTimeMs(now).build())));
            }
            return burst;
        });
    }

    /**
     * NodeInfo announcements of made-up nodes (a key costs nothing) that all name one victim's
     * address: every node that learns them would dial the victim once per id.
     */
    static PeerProtocol reflector(Identity identity, NodeInfo self, String victimHost, int victimPort) {
        return new Hostile(identity, self, (now, random) -> {
            List<Gossip> burst = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Identity made = Identity.generate();
                burst.add(announce(Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                        .setHost(victimHost).setPort(victimPort).setTimeMs(now).build())));
            }
            return burst;
        });
    }

    /**
     * NodeInfo announcements of made-up nodes naming no address (or no port): nothing to dial, so no
     * failed dial would ever make room for an honest newcomer were they kept. {@code sent} counts them.
     */
    static PeerProtocol addressless(Identity identity, NodeInfo self, AtomicInteger sent) {
        return new Hostile(identity, self, (now, random) -> {
            List<Gossip> burst = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Identity made = Identity.generate();
                NodeInfo.Builder info = NodeInfo.newBuilder().setNode(made.publicId().toByteString()).setTimeMs(now);
                if (i % 2 == 1) {
                    info.setHost("127.0.0.1");  // a host, and port 0
                }
                burst.add(announce(Envelopes.sign(made, info.build())));
            }
            sent.addAndGet(burst.size());
            return burst;
        });
    }

    static SignedEnvelope inventory(Identity identity, String commit, long now) {
        return Envelopes.sign(identity, Inventory.newBuilder().setNode(identity.publicId().toByteString())
                .addCommits(commit).setTimeMs(now).build());
    }

    private static Gossip announce(SignedEnvelope envelope) {
        return Gossip.newBuilder().setAnnouncement(envelope).build();
    }

    private static String commit(Random random) {
        byte[] id = new byte[20];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** Keeps every link it is offered and sends {@code abuse} to each neighbour on every tick. */
    private static final class Hostile implements PeerProtocol {
        private final Identity identity;
        private final NodeInfo self;
        private final BiFunction<Long, Random, List<Gossip>> abuse;
        private final Set<PublicId> neighbours = new LinkedHashSet<>();
        private final Random random = new Random(3);

        Hostile(Identity identity, NodeInfo self, BiFunction<Long, Random, List<Gossip>> abuse) {
            this.identity = identity;
            this.self = self;
            this.abuse = abuse;
        }

        @Override
        public SignedEnvelope signedSelfInfo(long nowMs) {
            return Envelopes.sign(identity, self.toBuilder().setTimeMs(nowMs).build());
        }

        @Override
        public List<Effect> start(List<NodeInfo> bootstrap, long nowMs) {
            return List.of();
        }

        @Override
        public List<Effect> learn(List<NodeInfo> peers, long nowMs) {
            return List.of();
        }

        @Override
        public List<Effect> onConnected(PublicId peer, SignedEnvelope peerInfo, boolean outbound, long nowMs) {
            neighbours.add(peer);
            return List.of();
        }

        @Override
        public List<Effect> onDialFailed(PublicId peer, long nowMs) {
            return List.of();
        }

        @Override
        public List<Effect> onDisconnected(PublicId peer, long nowMs) {
            neighbours.remove(peer);
            return List.of();
        }

        @Override
        public List<Effect> onMessage(PublicId from, Gossip message, long nowMs) {
            return List.of();
        }



        @Override
        public List<Effect> onFetched(PublicId from, String commit, long bytes, long nowMs) {
            return List.of();
        }


        @Override
        public List<Effect> onLocalCommit(String commit, long nowMs) {
            return List.of();
        }


        @Override
        public List<Effect> onTick(long nowMs) {
            List<Effect> out = new ArrayList<>();
            for (PublicId peer : neighbours) {
                abuse.apply(nowMs, random).forEach(g -> out.add(new Effect.Send(peer, g)));
            }
            return out;
        }

        @Override
        public boolean isBanned(PublicId peer, long nowMs) {
            return false;
        }
    }
}
