package dev.rhizome.node.gossip.core;

/**
 * What the node holds, fetches and keeps of the network's bundles: which it wants unasked (the
 * policy), the planner (held, wanted, in flight, who claims what), "not found" answers awaiting a
 * withdrawal, and under the wants filter the keepers of the commits made here and the budget of
 * what it keeps for others ({@code keepers} and {@code keepBudget} are null when every bundle is
 * fetched).
 */
record Bundles(Wants wants, FetchPlanner planner, GoneClaims goneClaims, Keepers keepers, KeepBudget keepBudget) {
    static Bundles of(Wants wants, GossipConfig config) {
        return new Bundles(wants, new FetchPlanner(config), new GoneClaims(),
                wants.all() ? null : new Keepers(wants.copies()),
                wants.all() ? null : new KeepBudget(wants.keepBytes(), wants.maxBundleBytes()));
    }

    /** Whether the wants filter runs (keepers named, a keep budget): false when every bundle is fetched. */
    boolean filtered() {
        return keepers != null;
    }
}
