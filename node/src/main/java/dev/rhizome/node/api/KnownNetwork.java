package dev.rhizome.node.api;

import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * The network id of one coordinator, kept in a file once first learnt, so that what is signed
 * names it from the start (a node whose coordinator is down still signs its gossip for its
 * network) and {@code GET /v1/stats} is asked once per coordinator, not once per process.
 *
 * <p>The file holds the id on its first line and the coordinator's URL on its second (for the
 * message that names it). A node's coordinator that later answers another id is not followed: the
 * caller gets {@link Mismatch}, which says what to do, and the file keeps the id it had (the node's
 * outbox, repository and peers are that network's). The CLI's is followed: its data dir holds a key
 * and claims, which the coordinator checks itself, and a developer who starts a coordinator afresh
 * on the same port would otherwise have to find and delete a file. Pure file I/O, no HTTP:
 * {@link CoordinatorClient} asks, this remembers.
 */
public final class KnownNetwork {
    private final Path file;
    /** Whether another id answered replaces the kept one (the CLI's) rather than being refused (a node's). */
    private final boolean follows;
    /** Told the id kept at each {@link #check} that keeps or confirms one. */
    private final Consumer<String> kept;

    public KnownNetwork(Path file) {
        this(file, false, id -> { });
    }

    private KnownNetwork(Path file, boolean follows, Consumer<String> kept) {
        this.file = file;
        this.follows = follows;
        this.kept = kept;
    }

    /**
     * This file, telling {@code listener} the id kept once a coordinator's answer is checked against
     * it (the kept one where another was answered and not followed). A node's gossip learns its
     * network so from whichever call first hears it (a slot's claim, a heartbeat), not only from
     * its own ask for entry points, which backs off up to minutes while the coordinator is away.
     */
    public KnownNetwork telling(Consumer<String> listener) {
        return new KnownNetwork(file, follows, listener);
    }

    /** The file a node keeps its coordinator's network id in, in its data dir. */
    public static KnownNetwork ofNode(Path dataDir) {
        return new KnownNetwork(dataDir.resolve("network"));
    }

    /**
     * The file the CLI keeps {@code coordinator}'s network id in: one per coordinator URL, under
     * {@code networks/} of its data dir, named by the URL's SHA-256 (a URL is no file name).
     */
    public static KnownNetwork ofCli(Path dataDir, URI coordinator) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(coordinator.toString().getBytes(StandardCharsets.UTF_8));
            return new KnownNetwork(dataDir.resolve("networks").resolve(HexFormat.of().formatHex(digest, 0, 16)), true,
                    id -> { });
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public Path file() {
        return file;
    }

    /**
     * The id kept, or null when none is (never learnt, or the file was deleted). A file that does
     * not hold a usable id is an error naming the file: guessing would sign for the wrong network.
     */
    public String read() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
        String id = lines.isEmpty() ? "" : lines.get(0).strip();
        try {
            return Envelopes.checkNetwork(id);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " does not hold a network id (" + e.getMessage() + "): delete it, and the "
                    + "coordinator's id is read again");
        }
    }

    /**
     * Checks the id {@code coordinator} answers against the one kept: keeps it when none is (or when
     * it is another and this file follows its coordinator), and throws {@link Mismatch} when it is
     * another.
     */
    public void check(URI coordinator, String answered) throws IOException, Mismatch {
        String id = read();
        if (id == null || (follows && !id.equals(answered))) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            DurableFiles.replace(file, (answered + "\n" + coordinator + "\n").getBytes(StandardCharsets.UTF_8));
        } else if (!id.equals(answered)) {
            kept.accept(id);
            throw new Mismatch(file, coordinator, id, answered);
        }
        kept.accept(answered);
    }

    /** A coordinator that answers another network id than the one kept for it. */
    public static final class Mismatch extends Exception {
        private final String kept;
        private final String answered;

        Mismatch(Path file, URI coordinator, String kept, String answered) {
            super("the coordinator at " + coordinator + " serves network " + answered + ", but this data dir belongs"
                    + " to network " + kept + " (kept in " + file + "): records signed here would be refused there,"
                    + " and the work and peers kept here are that other network's. If the operator replaced the"
                    + " coordinator's database on purpose, delete " + file + " and start again; otherwise check the"
                    + " coordinator URL (it may name another network's coordinator), or ask its operator");
            this.kept = kept;
            this.answered = answered;
        }

        public String kept() {
            return kept;
        }

        public String answered() {
            return answered;
        }
    }
}
