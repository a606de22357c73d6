package dev.rhizome.client;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Path;
import java.util.SortedMap;

/**
 * Where a whole-network test starts: a coordinator (its data in {@code dir}/coordinator), its
 * operator (the key in {@code dir}/operator), and a seed published from a volunteer's repository,
 * with direction {@value #DIRECTION} open at the seed's commit. Nodes are the test's own.
 */
record SeededCoordinator(Coordinator coordinator, CoordinatorClient operator, Seed seed) implements AutoCloseable {
    static final String DIRECTION = "d";

    /** Publishes {@code files} from the repository of the node whose data directory is {@code volunteer}. */
    static SeededCoordinator start(Path dir, Path volunteer, SortedMap<String, byte[]> files) throws Exception {
        Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
        try {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(),
                    IdentityStore.loadOrCreate(dir.resolve("operator")));
            return new SeededCoordinator(coordinator, operator,
                    TestNetwork.publishWithDirection(operator, volunteer, files, DIRECTION));
        } catch (Exception | Error e) {
            coordinator.close();
            throw e;
        }
    }

    String url() {
        return coordinator.url();
    }

    @Override
    public void close() {
        coordinator.close();
    }
}
