package dev.rhizome.node.gossip.core;

import java.util.ArrayList;
import java.util.List;

/** Picks out of a step's effects what a test asserts on. */
final class Effects {
    private Effects() {
    }

    /** The effects of one kind, in order. */
    static <T extends Effect> List<T> only(List<Effect> effects, Class<T> type) {
        List<T> out = new ArrayList<>();
        effects.forEach(e -> {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        });
        return out;
    }

    /** Delivers {@code from}'s Sends addressed to {@code to} at {@code now}; returns what {@code to} did. */
    static List<Effect> deliver(GossipCore from, List<Effect> effects, GossipCore to, long now) {
        List<Effect> out = new ArrayList<>();
        for (Effect.Send s : only(effects, Effect.Send.class)) {
            if (s.to().equals(to.id())) {
                out.addAll(to.onMessage(from.id(), s.message(), now));
            }
        }
        return out;
    }

    /** The effects that act on the world: all but the wakeup the core asks for. */
    static List<Effect> acting(List<Effect> effects) {
        return effects.stream().filter(e -> !(e instanceof Effect.Wakeup)).toList();
    }
}
