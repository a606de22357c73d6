package dev.rhizome.node.gossip.core;

/**
 * What the node holds, fetches and keeps of the network's bundles: which it wants unasked (the
 * policy), the commits it holds ({@code held}: written by {@link Holdings} through the planner's
 * {@code markHeld}, and by {@link Announcer} when the repository gives one up), the planner (what
 * is wanted, in flight, stalled or slow), who claimed to hold each wanted commit ({@code claims}:
 * written by {@link InboundInventories} through the planner, by {@link LinkLifecycle} as links end
 * and start, by {@link Discipline} on a ban), "not found" answers awaiting a withdrawal, and under
 * the wants filter the keepers of the commits made here and the budget of what it keeps for others
 * ({@code keepers} and {@code keepBudget} are null when every bundle is fetched).
 */
record Bundles(Wants wants, HeldCommits held, FetchPlanner planner, HolderClaims claims, GoneClaims goneClaims,
        Keepers keepers, KeepBudget keepBudget) {
    static Bundles of(Wants wants, GossipConfig config) {
        HeldCommits held = new HeldCommits(config.maxCommitsPerInventory());
        WantTable table = new WantTable(config);
        return new Bundles(wants, held, new FetchPlanner(config, held, table), new HolderClaims(table), new GoneClaims(),
                wants.all() ? null : new Keepers(wants.copies()),
                wants.all() ? null : new KeepBudget(wants.keepBytes(), wants.maxBundleBytes()));
    }

    /** Whether the wants filter runs (keepers named, a keep budget): false when every bundle is fetched. */
    boolean filtered() {
        return keepers != null;
    }
}
