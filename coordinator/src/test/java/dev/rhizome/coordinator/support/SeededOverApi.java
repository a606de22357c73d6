package dev.rhizome.coordinator.support;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A seed with directions on its base and experiments on each, posted through the coordinators'
 * HTTP APIs in turn, as the clients of coordinators sharing one store post them: the seed through
 * the first, each direction through the next, experiments alternating. Each direction's
 * experiments come from a proposer of its own, unless one proposer for all is given.
 *
 * @param experiments each direction's experiments' commits, in the order they were posted
 */
public record SeededOverApi(String seed, String base, Map<String, List<String>> experiments) {
    /** Posts {@code seed} at {@code base} and {@code perDirection} experiments on each of {@code directions}, signed by {@code operator}. */
    public static SeededOverApi post(List<ApiClient> apis, Identity operator, String seed, String base, Manifest manifest,
            List<String> directions, int perDirection) {
        return post(apis, operator, seed, base, manifest, directions, perDirection, null);
    }

    /** As above, every experiment proposed by {@code proposer} (a proposer of each direction's own when null). */
    public static SeededOverApi post(List<ApiClient> apis, Identity operator, String seed, String base, Manifest manifest,
            List<String> directions, int perDirection, Identity proposer) {
        long now = System.currentTimeMillis();
        apis.get(0).signAndPost("/v1/seeds", operator, Fixtures.seed(operator, seed, base, manifest, now)).ack();
        Map<String, List<String>> experiments = new LinkedHashMap<>();
        int posted = 0;
        for (String direction : directions) {
            apis.get(1 % apis.size()).signAndPost("/v1/directions", operator,
                    Fixtures.direction(operator, direction, seed, base, now)).ack();
            Identity by = proposer != null ? proposer : Identity.generate();
            List<String> commits = new ArrayList<>();
            for (int i = 0; i < perDirection; i++) {
                String commit = Fixtures.commit();
                apis.get(posted++ % apis.size()).signAndPost("/v1/experiments", by,
                        Fixtures.experiment(by, seed, direction, commit, base, now)).ack();
                commits.add(commit);
            }
            experiments.put(direction, List.copyOf(commits));
        }
        return new SeededOverApi(seed, base, Map.copyOf(experiments));
    }
}
