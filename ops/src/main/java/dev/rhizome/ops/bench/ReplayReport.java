package dev.rhizome.ops.bench;

import com.google.gson.GsonBuilder;
import dev.rhizome.ops.bench.ReplayCost.Case;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link ReplayCost} measured: the core's CPU per message of each case, as ratios to a
 * duplicate and to a fresh record measured in the same run, and what a rogue's replays can take
 * of a core at most, each link admitting {@code perSecond} gossip messages a second.
 */
public record ReplayReport(int messages, Case duplicate, Case outside, Case replay, Case fresh, int perSecond, int burst,
        int maxLinks, double wallSeconds) implements BenchReport {

    /** The share of one core a rogue replaying at its link's full rate takes, per link. */
    public double coreSharePerLink() {
        return replay.cpuNanos() * perSecond / 1e9;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "replay");
        m.put("messages", messages);
        m.put("duplicate_us", micros(duplicate));
        m.put("stale_us", micros(outside));
        m.put("replay_us", micros(replay));
        m.put("fresh_us", micros(fresh));
        m.put("replay_to_duplicate", round(replay.cpuNanos() / duplicate.cpuNanos()));
        m.put("replay_to_fresh", round(replay.cpuNanos() / fresh.cpuNanos()));
        m.put("replay_verifies_per_message", round(replay.verifiesPerMessage()));
        m.put("replay_taken_per_message", round(replay.takenPerMessage()));
        m.put("link_messages_per_second", perSecond);
        m.put("link_burst", burst);
        m.put("core_share_per_link", round(coreSharePerLink()));
        m.put("core_share_all_links", round(coreSharePerLink() * maxLinks));
        m.put("max_links", maxLinks);
        m.put("wall_seconds", round(wallSeconds));
        return m;
    }

    @Override
    public String toText() {
        StringBuilder s = new StringBuilder(String.format(
                "replay: the gossip core's CPU per message, %d timed a case, ratios to a duplicate in the same run%n", messages));
        for (Case c : new Case[] {duplicate, outside, replay, fresh}) {
            s.append(String.format("  %-52s %8.1f us (%5.1fx), %.2f verifications, %.2f taken as new%n", c.what() + ":",
                    c.cpuNanos() / 1000, c.cpuNanos() / duplicate.cpuNanos(), c.verifiesPerMessage(), c.takenPerMessage()));
        }
        s.append(String.format("replay / fresh record: %.2f (a fresh record is what any peer may send under made-up keys)%n",
                replay.cpuNanos() / fresh.cpuNanos()));
        s.append(String.format("bound: a link admits %d gossip messages a second (burst %d): replays at that rate take %.2f%% of a"
                        + " core per rogue link, %.1f%% with all %d links rogue (%.1f s)%n", perSecond, burst,
                100 * coreSharePerLink(), 100 * coreSharePerLink() * maxLinks, maxLinks, wallSeconds));
        return s.toString();
    }

    @Override
    public String toJson() {
        return new GsonBuilder().disableHtmlEscaping().create().toJson(toMap());
    }

    private static double micros(Case c) {
        return round(c.cpuNanos() / 1000);
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
