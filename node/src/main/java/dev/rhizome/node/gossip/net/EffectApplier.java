package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.peer.AddressBackoff;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the effects a core step returns, on the core thread, each by the piece whose job it
 * is: sends, disconnects and duplicate links on the {@link LinkRegistry}'s links, dials by the
 * {@link OutboundDialler}, fetches by {@link GossipFetches}, bootstrap requests by the
 * {@link PeerFinder}, the wakeup on the {@link CoreThread}, the re-signed hello, the peers file.
 * It decides nothing: every effect is what the core said to do.
 */
final class EffectApplier {
    private static final Logger log = LoggerFactory.getLogger(EffectApplier.class);
    /** A banned peer may reconnect in a loop, each time to be disconnected again. */
    private static final WarnBudget DISCONNECTING = new WarnBudget(log);
    /** Peers that stop reading, each a line per hundred messages dropped, could else fill the log between them. */
    private static final WarnBudget NOT_READING = new WarnBudget(log);
    private static final WarnBudget CHURNING = new WarnBudget(log);
    /** Every peer's records, when it is this node's clock that is wrong: one line each would fill the log. */
    private static final WarnBudget CLOCK_SKEW = new WarnBudget(log);
    /** An effect that throws may be one a peer's message asked for, again on every message. */
    private static final WarnBudget EFFECT_FAILURES = new WarnBudget(log);

    private final CoreSteps steps;
    private final CoreThread core;
    private final LinkRegistry links;
    /** Addresses of peers cut for misbehaviour that came back, whose new connections the server closes at accept for a while. */
    private final AddressBackoff offenders;
    private final OutboundDialler dialler;
    private final GossipFetches fetches;
    private final FetchWaiters waiters;
    private final PeerFinder finder;
    private final SelfHello self;
    /** Where the peers the core asks to save are written, or null for nowhere. */
    private final KnownPeers knownPeers;
    private final FetchWorkers workers;
    private final GossipMeters meters;
    private boolean asksForWakeups;

    EffectApplier(CoreSteps steps, CoreThread core, LinkRegistry links, AddressBackoff offenders, OutboundDialler dialler,
                  GossipFetches fetches, FetchWaiters waiters, PeerFinder finder, SelfHello self, KnownPeers knownPeers,
                  FetchWorkers workers, GossipMeters meters) {
        this.steps = steps;
        this.core = core;
        this.links = links;
        this.offenders = offenders;
        this.dialler = dialler;
        this.fetches = fetches;
        this.waiters = waiters;
        this.finder = finder;
        this.self = self;
        this.knownPeers = knownPeers;
        this.workers = workers;
        this.meters = meters;
    }

    /** Whether the protocol has asked for a wakeup yet (a baseline never does, and is ticked on a timer). */
    boolean asksForWakeups() {
        return asksForWakeups;
    }

    /**
     * Carries out one step's effects, each on its own: one that fails must not lose the rest, the
     * step's Wakeup last among them (a dial that threw once lost it, and the core never ticked again).
     */
    void apply(List<Effect> effects) {
        for (Effect effect : effects) {
            try {
                applyOne(effect);
            } catch (RuntimeException e) {
                EFFECT_FAILURES.error("gossip effect " + effect.getClass().getSimpleName() + " failed; the step's other effects go on", e);
            }
        }
    }

    private void applyOne(Effect effect) {
        if (effect instanceof Effect.Send send) {
            send(send.to(), send.message());
        } else if (effect instanceof Effect.Dial dial) {
            dialler.dial(dial);
        } else if (effect instanceof Effect.CancelDial cancel) {
            dialler.cancel(cancel.peer());
        } else if (effect instanceof Effect.Disconnect disconnect) {
            if (links.close(disconnect.peer())) {
                // The link limit turns peers away all day on a healthy network: that is no warning.
                if (disconnect.routine()) {
                    log.debug("disconnecting gossip peer {}: {}", disconnect.peer().shortForm(), disconnect.reason());
                } else {
                    DISCONNECTING.warn("disconnecting gossip peer {}: {}", disconnect.peer().shortForm(), disconnect.reason());
                }
            }
        } else if (effect instanceof Effect.Shun shun) {
            GossipLink back = links.get(shun.peer());
            if (back != null && back.remoteAddress() != null) {
                offenders.offence(back.remoteAddress());
            }
        } else if (effect instanceof Effect.Churning churning) {
            offenders.offence(churning.address());
            CHURNING.warn("inbound gossip links from {} come and go in a loop: its new connections wait a while", churning.address());
        } else if (effect instanceof Effect.ClockSkew skew) {
            meters.clockSkew();
            // Said of a record refused by date and of a clock measured at a link or its step alike: not "refused".
            CLOCK_SKEW.warn("gossip peer {}'s clock is off, not held against it: {} by this node's clock, more"
                    + " than the skew allowed; if most peers' are, this node's clock is wrong (check its time"
                    + " synchronisation, NTP)", skew.peer().shortForm(), skew.reason());
        } else if (effect instanceof Effect.DuplicateLink duplicate) {
            links.resolveDuplicate(duplicate.peer(), duplicate.keepNew());
        } else if (effect instanceof Effect.Fetch fetch) {
            fetches.start(fetch);
        } else if (effect instanceof Effect.CancelFetch cancel) {
            fetches.cancel(cancel);
        } else if (effect instanceof Effect.Unavailable gone) {
            waiters.fail(gone.commit(), gone.reason());
        } else if (effect instanceof Effect.ResultSeen result) {
            meters.resultHeard();
            log.debug("result announced by gossip, signed by {}", PublicId.hex(result.result().getSigner()));
        } else if (effect instanceof Effect.Wakeup wakeup) {
            asksForWakeups = true;
            core.wakeAt(wakeup.atMs(), () -> steps.run(p -> p.onTick(steps.nowMs())));
        } else if (effect instanceof Effect.SignedSelf signed) {
            self.signed(signed.nodeInfo());
        } else if (effect instanceof Effect.FindPeers) {
            finder.find();
        } else if (effect instanceof Effect.SavePeers save) {
            if (knownPeers != null) {
                long ticket = knownPeers.ticket();
                workers.execute(() -> knownPeers.save(ticket, save.peers()));
            }
        }
    }

    private void send(PublicId to, Gossip message) {
        GossipLink link = links.get(to);
        if (link == null) {
            return;  // the link closed after the protocol decided; it hears of that next
        }
        if (link.send(message)) {
            meters.sent();
        } else {
            long dropped = meters.dropped();
            if (dropped % 100 == 1) {
                NOT_READING.warn("gossip peer {} is not reading; dropping messages to it ({} dropped in all)", to.shortForm(),
                        dropped);
            }
        }
    }
}
