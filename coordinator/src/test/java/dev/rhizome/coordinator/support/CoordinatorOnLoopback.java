package dev.rhizome.coordinator.support;

import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.CoordinatorLimits;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The set-up the coordinator's wire tests share, as a JUnit extension: before each test, a real
 * coordinator on loopback ({@link Harness}: a data directory of its own, the operator's key, the
 * tiny manifest) on the store the test names, with the network's seed published and its direction
 * open unless the test says otherwise; after it, closed and its directory removed. A test
 * registers one and is handed the harness:
 *
 * <pre>{@code
 * private Harness h;
 * @RegisterExtension
 * final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.json().into(started -> h = started);
 * }</pre>
 *
 * A test asserts with the harness only; what the coordinator is, is said here once.
 */
public final class CoordinatorOnLoopback implements BeforeEachCallback, AfterEachCallback {
    private final ApiClient.Format format;
    private Supplier<String> store = () -> Harness.SQLITE;
    private CoordinatorLimits limits = CoordinatorLimits.defaults();
    private UnaryOperator<CoordinatorConfig> adjust = UnaryOperator.identity();
    private boolean seeded = true;
    private Consumer<Harness> into = h -> { };
    private Path dataDir;
    private Harness harness;

    private CoordinatorOnLoopback(ApiClient.Format format) {
        this.format = format;
    }

    /** A coordinator whose test client speaks JSON. */
    public static CoordinatorOnLoopback json() {
        return new CoordinatorOnLoopback(ApiClient.Format.JSON);
    }

    /** A coordinator whose test client speaks protobuf. */
    public static CoordinatorOnLoopback protobuf() {
        return new CoordinatorOnLoopback(ApiClient.Format.PROTOBUF);
    }

    /** Its limits (the defaults unless named). */
    public CoordinatorOnLoopback limits(CoordinatorLimits limits) {
        this.limits = limits;
        return this;
    }

    /**
     * Its store, read before each test ({@link Harness#SQLITE} or {@link Harness#POSTGRESQL}): a
     * {@code @ParameterizedClass}'s parameter is set after the extension is made.
     */
    public CoordinatorOnLoopback store(Supplier<String> store) {
        this.store = store;
        return this;
    }

    /** Its configuration changed at every start, restarts included (trusted proxies, say). */
    public CoordinatorOnLoopback config(UnaryOperator<CoordinatorConfig> adjust) {
        this.adjust = adjust;
        return this;
    }

    /** No seed published, no direction open: the test starts from an empty network. */
    public CoordinatorOnLoopback empty() {
        this.seeded = false;
        return this;
    }

    /** Who is handed the harness before each test. */
    public CoordinatorOnLoopback into(Consumer<Harness> into) {
        this.into = into;
        return this;
    }

    /** The harness of the test under way. */
    public Harness harness() {
        return harness;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        dataDir = Files.createTempDirectory("rhizome-loopback-");
        harness = Harness.on(store.get(), dataDir, Fixtures.manifest(1, 0.01), format, limits, adjust);
        if (seeded) {
            harness.withSeedAndDirection();
        }
        into.accept(harness);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        try {
            if (harness != null) {
                harness.close();
            }
        } finally {
            harness = null;
            if (dataDir != null) {
                removeAll(dataDir);
                dataDir = null;
            }
        }
    }

    private static void removeAll(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
