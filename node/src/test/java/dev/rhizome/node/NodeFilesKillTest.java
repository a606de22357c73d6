package dev.rhizome.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.KnownNetwork;
import dev.rhizome.node.disk.DataJanitor;
import dev.rhizome.node.gossip.net.PeersFile;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.node.work.RuntimeEstimates;
import dev.rhizome.node.work.UnitBuffer;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A node killed (SIGKILL, a real child process) in the middle of writing one of the files it keeps
 * in its data directory: a result in its outbox, a unit in its buffer, its peers file, its endpoint,
 * its identity key, a coordinator's receipt in its receipt book, its job runtimes, the network id the CLI keeps for a
 * coordinator ({@code networks/}, which follows a coordinator's new id). The child writes the file over and over as the node does, printing what each
 * write that returned wrote (what the node relies on: a result acknowledged to the job, a key used
 * to sign); the kill lands while a write's temporary file exists. The restart must read every file
 * whole, find everything a returned write wrote, and leave no temporary file behind (each kill would
 * otherwise leave one more).
 */
class NodeFilesKillTest {
    private static final int ATTEMPTS = 20;

    @TempDir
    Path tmp;

    /** What the child writes, where its write's temporary file is, and what a restart must find. */
    enum Kind {
        OUTBOX, BUFFER, PEERS, ENDPOINT, IDENTITY, RECEIPT, NETWORK, RUNTIMES;

        /** Whether write {@code next} of this kind is in the middle (its temporary file is there): cheap, looked at in a spin. */
        boolean writing(NodeLayout layout, int next) {
            return switch (this) {
                case OUTBOX -> writingOf(layout.outbox().resolve("unit-" + next + ".result"));
                case BUFFER -> writingOf(layout.buffer().resolve("slot-0.unit"));
                case PEERS -> writingOf(layout.peers());
                case ENDPOINT -> writingOf(layout.endpointFile());
                case IDENTITY -> anyTemporary(keyDir(layout, next));
                case RECEIPT -> anyTemporary(layout.receipts());
                case NETWORK -> writingOf(network(layout).file());
                case RUNTIMES -> writingOf(layout.runtimes());
            };
        }

        /** Where the kill leaves the temporary file, for the restart's clean-up. */
        NodeLayout owner(NodeLayout layout, int next) {
            return this == IDENTITY ? new NodeLayout(keyDir(layout, next)) : layout;
        }
    }

    /** The child: writes files of one kind in args[1] (a data directory) until killed, printing "ack N [what]" after each. */
    public static final class Writer {
        public static void main(String[] args) throws Exception {
            Kind kind = Kind.valueOf(args[0]);
            NodeLayout layout = new NodeLayout(Path.of(args[1]));
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            List<SignedEnvelope> peers = kind == Kind.PEERS ? peerRecords() : List.of();
            ResultOutbox outbox = kind == Kind.OUTBOX ? new ResultOutbox(layout.outbox()) : null;
            UnitBuffer buffer = kind == Kind.BUFFER ? new UnitBuffer(layout.buffer()) : null;
            RuntimeEstimates runtimes = kind == Kind.RUNTIMES ? RuntimeEstimates.keptIn(layout.runtimes()) : null;
            ReceiptBook receipts = new ReceiptBook(layout.receipts());
            for (int i = 0; ; i++) {
                String what = "";
                switch (kind) {
                    case OUTBOX -> outbox.put("unit-" + i, result(i));
                    case BUFFER -> buffer.put("slot-0", unit(i));
                    case PEERS -> PeersFile.save(layout.peers(), peers.subList(0, 1 + i % peers.size()));
                    case ENDPOINT -> new NodeEndpoint("node-" + i, "127.0.0.1", 1 + i % 65_000,
                            ProcessHandle.current().pid()).write(layout.dataDir());
                    case IDENTITY -> what = IdentityStore.loadOrCreate(keyDir(layout, i)).publicId().toString();
                    case RECEIPT -> receipts.keep(receipt(i), result(i));
                    case NETWORK -> network(layout).check(COORDINATOR, networkId(i));
                    case RUNTIMES -> runtimes.record(runtimeSeed(i), runtimeMs(i));
                }
                out.println("ack " + i + " " + what);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aNodeKilledWhileWritingLosesNothingAcknowledgedAndLeavesNoTemporaryFile(Kind kind) throws Exception {
        NodeLayout layout = new NodeLayout(tmp.resolve("node"));
        Files.createDirectories(layout.dataDir());
        Map<Integer, String> acked = new ConcurrentHashMap<>();
        boolean landed = false;
        for (int attempt = 0; attempt < ATTEMPTS && !landed; attempt++) {
            landed = killWhileWriting(kind, layout, acked);
        }
        assertThat(landed).as("a kill landed while a %s write's temporary file was there", kind).isTrue();
        assertThat(acked).as("the child wrote something before the kill").isNotEmpty();
        int last = next(acked) - 1;

        int next = last + 1;
        Path left = temporaryFiles(layout.dataDir()).stream().findFirst().orElseThrow();
        NodeLayout owner = kind.owner(layout, next);
        if (kind == Kind.IDENTITY && !left.startsWith(owner.dataDir())) {
            owner = new NodeLayout(left.getParent());  // the key after, made whole but not yet printed
        }
        if (kind == Kind.NETWORK) {
            // the CLI's file: no daemon owns its directory; the next write there removes the dead writer's file
            assertThat(network(layout).read()).as("the id kept, whole").isIn(networkId(last), networkId(last + 1));
            network(layout).check(COORDINATOR, networkId(last + 2));
        } else {
            assertThat(DataJanitor.removeInterruptedWrites(owner)).as("the restart's clean-up of %s", left).isPositive();
        }
        switch (kind) {
            case OUTBOX -> {
                ResultOutbox outbox = new ResultOutbox(layout.outbox());
                Map<String, ByteString> found = new HashMap<>();
                for (ResultOutbox.Pending p : outbox.pending()) {
                    found.put(p.file().getFileName().toString(), p.envelope().getPayload());
                }
                for (int i = 0; i <= last; i++) {
                    assertThat(found.get("unit-" + i + ".result")).as("acknowledged result %d", i)
                            .isEqualTo(result(i).getPayload());
                }
                assertThat(found.keySet()).allMatch(n -> n.matches("unit-\\d+\\.result"));
                found.forEach((name, payload) -> assertThat(payload).as("%s whole", name)
                        .isEqualTo(result(Integer.parseInt(name.replaceAll("\\D", ""))).getPayload()));
            }
            case BUFFER -> assertThat(new UnitBuffer(layout.buffer()).get("slot-0")).as("the buffered unit")
                    .hasValueSatisfying(u -> assertThat(u).isIn(unit(last), unit(last + 1)));
            case PEERS -> {
                List<NodeInfo> loaded = PeersFile.load(layout.peers());
                int size = peerRecords().size();
                assertThat(loaded.size()).as("peers remembered, all verified").isIn(1 + last % size, 1 + (last + 1) % size);
            }
            case ENDPOINT -> {
                String json = Files.readString(layout.endpointFile());
                assertThat(json).as("the endpoint, whole").containsAnyOf("\"node-" + last + "\"", "\"node-" + (last + 1) + "\"");
                assertThat(NodeEndpoint.ofRunningNode(layout.dataDir())).as("its node is dead").isEmpty();
            }
            case IDENTITY -> {
                for (int i = 0; i <= last; i++) {
                    Path dir = keyDir(layout, i);
                    assertThat(IdentityStore.load(dir.resolve(IdentityStore.FILE_NAME)).publicId().toString())
                            .as("key %d, used before the kill", i).isEqualTo(acked.get(i));
                }
                // the key being made: whole, or not there and made now (it was never used to sign)
                Identity made = IdentityStore.loadOrCreate(owner.dataDir());
                assertThat(IdentityStore.loadOrCreate(owner.dataDir()).publicId()).isEqualTo(made.publicId());
            }
            case RECEIPT -> {
                List<KeptReceipt> kept = new ReceiptBook(layout.receipts()).all();
                try (Stream<Path> files = Files.list(layout.receipts())) {
                    assertThat(files.count()).as("receipt files, each one that reads").isEqualTo(kept.size());
                }
                Map<String, KeptReceipt> byResult = new HashMap<>();
                kept.forEach(k -> byResult.put(Envelopes.id(k.getResult()), k));
                for (int i = 0; i <= last; i++) {
                    assertThat(byResult.get(Envelopes.id(result(i)))).as("receipt %d, kept before the kill", i)
                            .isEqualTo(KeptReceipt.newBuilder().setReceipt(receipt(i)).setResult(result(i)).build());
                }
            }
            case NETWORK -> assertThat(network(layout).read()).as("the id written after the restart").isEqualTo(networkId(last + 2));
            case RUNTIMES -> {
                // read as the restarted node reads it: a file it refused would leave every seed unmeasured
                RuntimeEstimates kept = RuntimeEstimates.keptIn(layout.runtimes());
                for (int i = Math.max(0, last - 200); i <= last; i++) {
                    assertThat(kept.expectedMs(runtimeUnit(i))).as("the runtime of seed %d, kept before the kill", i)
                            .isEqualTo(runtimeMs(i));
                }
            }
        }
        assertThat(temporaryFiles(layout.dataDir())).as("temporary files left").isEmpty();
    }

    /**
     * Runs the writer until one of its writes is in the middle, then kills it with SIGKILL; whether
     * the kill landed there (the temporary file is still there after it). Collects the acknowledged writes.
     */
    private static boolean killWhileWriting(Kind kind, NodeLayout layout, Map<Integer, String> acked) throws Exception {
        AtomicInteger highest = new AtomicInteger(next(acked) - 1);
        KillableChild child = KillableChild.start(Writer.class, List.of(), line -> {
            String[] parts = line.split(" ", -1);
            if (parts.length == 3 && parts[0].equals("ack")) {
                int n = Integer.parseInt(parts[1]);
                acked.put(n, parts[2]);
                highest.accumulateAndGet(n, Math::max);
            }
        }, kind.name(), layout.dataDir().toString());
        int before = acked.size();
        // some writes first, so that a restart has something acknowledged to lose
        child.killWhen(() -> acked.size() >= before + 3 && kind.writing(layout, highest.get() + 1), Duration.ofMinutes(2),
                "writer");
        return !temporaryFiles(layout.dataDir()).isEmpty();
    }

    private static int next(Map<Integer, String> acked) {
        return acked.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    }

    private static SignedEnvelope result(int i) {
        byte[] payload = new byte[64 * 1024];
        new Random(i).nextBytes(payload);
        return SignedEnvelope.newBuilder().setVersion(1).setType("rhizome.v1.Result")
                .setPayload(ByteString.copyFrom(payload)).build();
    }

    /** The coordinator's receipt for {@code result(i)}, stored at time {@code i + 1}. */
    private static SignedEnvelope receipt(int i) {
        return SignedEnvelope.newBuilder().setVersion(1).setType("rhizome.v1.ResultReceipt")
                .setPayload(ResultReceipt.newBuilder().setEnvelopeId(Envelopes.id(result(i))).setAuditIndex(i)
                        .setTimeMs(i + 1).build().toByteString())
                .setSignature(ByteString.copyFrom(new byte[64])).build();
    }

    private static String runtimeSeed(int i) {
        return "seed-" + i;
    }

    private static long runtimeMs(int i) {
        return 1_000L + i;
    }

    /** A unit of seed {@code i} whose time limit is far above any runtime recorded, so the estimate is the runtime. */
    private static WorkUnit runtimeUnit(int i) {
        return WorkUnit.newBuilder().setSeed(runtimeSeed(i))
                .setManifest(dev.rhizome.proto.v1.Manifest.newBuilder().setTimeoutSeconds(3600)).build();
    }

    private static WorkUnit unit(int i) {
        return WorkUnit.newBuilder().setId("unit-" + i).setCommit(HexFormat.of().formatHex(new byte[20])).build();
    }

    /** Signed by keys made from fixed seeds, so that the parent and the child build the same records. */
    private static List<SignedEnvelope> peerRecords() {
        List<SignedEnvelope> records = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            byte[] seed = new byte[32];
            seed[0] = (byte) (i + 1);
            Identity id = Identity.fromSeed(seed);
            records.add(Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(20_000 + i).setTimeMs(1_700_000_000_000L).build()));
        }
        return records;
    }

    private static final URI COORDINATOR = URI.create("http://127.0.0.1:7070");

    /** The CLI's file of the network id its coordinator answered, which follows a coordinator's new id. */
    private static KnownNetwork network(NodeLayout layout) {
        return KnownNetwork.ofCli(layout.dataDir(), COORDINATOR);
    }

    private static String networkId(int i) {
        return "net-" + i;
    }

    private static Path keyDir(NodeLayout layout, int i) {
        return layout.dataDir().resolve("keys").resolve("k" + i);
    }

    /** A write of {@code file} is in the middle: one of its writer's temporary files ({@code <name>.<pid>-<random>.tmp}) is there. */
    private static boolean writingOf(Path file) {
        String prefix = file.getFileName() + ".";
        try (Stream<Path> files = Files.list(file.getParent())) {
            return files.map(p -> p.getFileName().toString()).anyMatch(n -> n.startsWith(prefix) && n.endsWith(".tmp"));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    private static boolean anyTemporary(Path dir) {
        return !temporaryFiles(dir).isEmpty();
    }

    private static List<Path> temporaryFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Predicate<Path> temporary = p -> p.getFileName().toString().endsWith(".tmp");
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(temporary).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of(); // a file renamed or a directory made during the walk: look again
        }
    }
}
