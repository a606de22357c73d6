package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.LinkEnd;
import dev.rhizome.node.gossip.core.Violation;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.WarnBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link GossipLink} tells, from its event loop, turned into the core's steps on the core
 * thread: up (after the handshake), a gossip message, a change in whether the peer reads, a
 * violation, down. Which of the peer's links is current is the {@link LinkRegistry}'s to say;
 * whether a link stays is the core's.
 */
final class LinkEvents {
    private static final Logger log = LoggerFactory.getLogger(LinkEvents.class);
    /** Each line carries a stack trace, and a rogue may find a message that throws and send it on every link. */
    private static final WarnBudget MESSAGE_FAILURES = new WarnBudget(log);
    private final CoreSteps steps;
    private final LinkRegistry links;
    private final GossipMeters meters;
    private final PeerClocks clocks;

    LinkEvents(CoreSteps steps, LinkRegistry links, GossipMeters meters, PeerClocks clocks) {
        this.clocks = clocks;
        this.steps = steps;
        this.links = links;
        this.meters = meters;
    }

    /** A handshake read {@code peer}'s signed hello, dated {@code aheadMs} ahead of our wall clock (any thread). */
    void peerClock(PublicId peer, long aheadMs) {
        clocks.read(peer, aheadMs, steps.nowMs());
    }

    /** The wall clock, by which a hello's NodeInfo is judged. */
    long wallMs() {
        return steps.wallMs();
    }

    void linkUp(GossipLink link, boolean outbound) {
        steps.later(() -> {
            PublicId peer = link.peer();
            if (outbound) {
                links.dialEnded(peer);
                if (link.closedByUs()) {
                    return; // a dial the core gave up (CancelDial) and forgot: its late answer is not a link
                }
            }
            if (!link.isActive()) {
                if (outbound) {
                    steps.run(p -> p.onDialFailed(peer, steps.nowMs()));
                } else {
                    steps.run(p -> p.onLinkGoneBeforeUp(peer, link.remote(), steps.nowMs()));
                }
                return;
            }
            GossipLink old = links.get(peer);
            if (old != null && !old.isActive() && links.closed(old) && !old.closedByUs()) {
                // The old link is already dead, its close still on its way here: the core hears of it first,
                // so the tie-break never keeps a dead link over a live one.
                steps.run(p -> p.onDisconnected(peer, steps.nowMs()));
            }
            boolean first = links.add(peer, link);
            try {
                steps.run(p -> p.onConnected(peer, link.peerInfo(), outbound, link.remote(), steps.nowMs()));
            } catch (RuntimeException e) {
                failedLinkStep(peer, "its link coming up", e);
                // Its hello, proven by its key, is what the step read: its sender pays as for a message that threw.
                steps.run(p -> p.onViolation(peer, Violation.FAILED_MESSAGE, steps.nowMs()));
                return;
            }
            if (!first) {
                links.dropDuplicate(peer);  // the core kept the old link without saying so (a baseline)
            }
        });
    }

    /**
     * Core thread: a step about {@code peer}'s link that threw. Contained as the peer's alone: the
     * core may hold the link half made (opened but not greeted, or not opened while the driver
     * sends it the peer's messages, which it then drops as from no link: both ends linked, nothing
     * heard, for as long as the link lives), so the core is told the link is gone (its claims and
     * dial end as at any close) and the connection is closed; the peer may link again. Logged
     * within a budget, naming the peer. Before, such a throw was only logged, and the link stayed.
     */
    private void failedLinkStep(PublicId peer, String step, RuntimeException e) {
        MESSAGE_FAILURES.error("gossip core step for " + step + " with " + peer.shortForm()
                + " failed; its link is closed", e);
        meters.violation();
        links.close(peer);
        try {
            steps.run(p -> p.onDisconnected(peer, steps.nowMs()));
        } catch (RuntimeException again) {
            MESSAGE_FAILURES.error("gossip core step for closing the link with " + peer.shortForm() + " failed", again);
        }
    }

    /** An inbound handshake from {@code remote} ended after our hello, before a valid proof. */
    void handshakeAbandoned(LinkEnd remote) {
        steps.post(p -> p.onHandshakeAbandoned(remote, steps.nowMs()));
    }

    void linkMessage(GossipLink link, Gossip message) {
        meters.received();
        steps.later(() -> {
            link.handled();
            if (links.isCurrent(link)) {
                handle(link.peer(), message);
            }
        });
    }

    /**
     * Core thread: one gossip message's step. A well-framed message the core did not expect can
     * make its step throw; its sender pays as for a malformed message, so a rogue that found one
     * cannot repeat it on its link for free (it was only logged).
     */
    private void handle(PublicId peer, Gossip message) {
        try {
            steps.run(p -> p.onMessage(peer, message, steps.nowMs()));
        } catch (RuntimeException e) {
            MESSAGE_FAILURES.error("gossip message " + message.getBodyCase() + " from " + peer.shortForm()
                    + " failed in the core; its sender is scored as for a malformed message", e);
            meters.violation();
            steps.run(p -> p.onViolation(peer, Violation.FAILED_MESSAGE, steps.nowMs()));
        }
    }

    /** The link's outbound buffer crossed its write mark: the core bounds how long a peer may read nothing. */
    void linkWritability(GossipLink link, boolean writable) {
        steps.later(() -> {
            if (!links.isCurrent(link)) {
                return;
            }
            try {
                steps.run(p -> p.onWritable(link.peer(), writable, steps.nowMs()));
            } catch (RuntimeException e) {
                failedLinkStep(link.peer(), "its link's writability", e);
            }
        });
    }

    void linkViolation(GossipLink link, Violation violation) {
        meters.violation();
        steps.post(p -> p.onViolation(link.peer(), violation, steps.nowMs()));
    }

    void linkDown(GossipLink link) {
        steps.later(() -> {
            PublicId peer = link.peer();
            if (peer == null) {
                if (link.outbound() && links.dialEnded(link.dialled())) {
                    PublicId answerer = link.answeredBy();
                    steps.run(p -> answerer != null ? p.onDialAnsweredByAnother(link.dialled(), answerer, steps.nowMs())
                            : p.onDialFailed(link.dialled(), steps.nowMs()));
                }
                return;
            }
            if (links.closed(link) && !link.closedByUs()) {
                steps.run(p -> p.onDisconnected(peer, steps.nowMs()));
            }
        });
    }
}
