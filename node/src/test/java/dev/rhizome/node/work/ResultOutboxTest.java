package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.rhizome.node.disk.SpaceReserve;
import dev.rhizome.protocol.files.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultOutboxTest {
    @TempDir
    Path dir;

    private final Identity runner = Identity.generate();

    private SignedEnvelope result(String unit) {
        return Envelopes.sign(runner, Result.newBuilder().setWorkUnitId(unit).setMetric(1.5)
                .setRunner(runner.publicId().toByteString()).build());
    }

    @Test
    void pendingResultsSurviveAReopenUntilRemoved() throws IOException {
        new ResultOutbox(dir).put("u-1", result("u-1"));
        new ResultOutbox(dir).put("u-2", result("u-2"));

        ResultOutbox reopened = new ResultOutbox(dir);
        assertThat(reopened.pending()).extracting(p -> p.envelope()).containsExactlyInAnyOrder(result("u-1"), result("u-2"));

        reopened.remove(reopened.pending().get(0));
        assertThat(new ResultOutbox(dir).pending()).hasSize(1);
    }

    @Test
    void refusedResultsAreKeptAsideAndCorruptFilesDoNotBlockTheRest() throws IOException {
        ResultOutbox outbox = new ResultOutbox(dir);
        outbox.put("u-1", result("u-1"));
        Files.write(dir.resolve("junk.result"), new byte[] {(byte) 0xff, 0x01, 0x02});

        assertThat(outbox.pending()).hasSize(1);
        assertThat(dir.resolve("junk.result.corrupt")).exists();

        outbox.refuse(outbox.pending().get(0));
        assertThat(outbox.pending()).isEmpty();
        assertThat(dir.resolve("refused").resolve("u-1.result")).exists();
    }

    @Test
    void unitIdsCannotEscapeTheOutbox() throws IOException {
        Path written = new ResultOutbox(dir).put("../../etc/passwd", result("x"));
        assertThat(written.getParent()).isEqualTo(dir);
    }

    /** A full disk used to throw here, and the slot ended a finished run as failed: the result was lost. */
    @Test
    void aResultTheFullDiskRefusesIsHeldSentAndWrittenOnceThereIsRoom() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            ResultOutbox outbox = new ResultOutbox(disk.root().resolve("outbox"));
            disk.fill();
            outbox.put("u-1", result("u-1"));
            assertThat(outbox.holds("u-1")).isTrue();
            assertThat(outbox.pending()).extracting(ResultOutbox.Pending::envelope).containsExactly(result("u-1"));
            assertThat(disk.root().resolve("outbox").resolve("u-1.result")).doesNotExist();

            disk.free();
            assertThat(outbox.pending()).extracting(ResultOutbox.Pending::envelope).containsExactly(result("u-1"));
            assertThat(new ResultOutbox(disk.root().resolve("outbox")).pending()).as("on disk now")
                    .extracting(ResultOutbox.Pending::envelope).containsExactly(result("u-1"));
            outbox.remove(outbox.pending().get(0));
            assertThat(outbox.pending()).isEmpty();
            assertThat(outbox.holds("u-1")).isFalse();
        }
    }

    /**
     * A result the full disk refused was held in memory only, and lost if the node stopped before
     * the disk took it: now it goes into the space the reserve held, and a restarted node has it.
     */
    @Test
    void aResultTheFullDiskRefusesGoesIntoTheReserveAndSurvivesARestart() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            Path dir = disk.root().resolve("outbox");
            Path reserveFile = dir.resolve(SpaceReserve.FILE_NAME);
            ResultOutbox outbox = new ResultOutbox(dir, new SpaceReserve(reserveFile, SpaceReserve.BYTES));
            assertThat(reserveFile).hasSize(SpaceReserve.BYTES);
            disk.fill();
            outbox.put("u-1", result("u-1"));
            assertThat(outbox.heldInMemory()).isEmpty();
            assertThat(new ResultOutbox(dir).pending()).as("what a restarted node finds")
                    .extracting(ResultOutbox.Pending::envelope).containsExactly(result("u-1"));

            disk.fill();  // the reserve is spent too: held in memory, as before
            outbox.put("u-2", result("u-2"));
            assertThat(outbox.heldInMemory()).containsExactly("u-2.result");
            assertThat(reserveFile).doesNotExist();

            disk.free();
            assertThat(outbox.pending()).extracting(ResultOutbox.Pending::envelope)
                    .containsExactlyInAnyOrder(result("u-1"), result("u-2"));
            assertThat(outbox.heldInMemory()).isEmpty();
            assertThat(reserveFile).as("made again once there is room").hasSize(SpaceReserve.BYTES);
        }
    }

    @Test
    void aHeldResultRefusedForGoodIsKeptAside() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            ResultOutbox outbox = new ResultOutbox(disk.root().resolve("outbox"));
            Files.createDirectories(disk.root().resolve("outbox").resolve("refused"));
            disk.fill();
            outbox.put("u-1", result("u-1"));
            ResultOutbox.Pending held = outbox.pending().get(0);
            disk.free();
            outbox.refuse(held);
            assertThat(outbox.pending()).isEmpty();
            assertThat(disk.root().resolve("outbox").resolve("refused").resolve("u-1.result")).exists();
        }
    }

    /** Ids once made one name ("u_1"): the second result overwrote the first, a finished run lost. */
    @Test
    void twoUnitsWhoseIdsDifferOnlyInReplacedCharactersKeepOneResultEach() throws IOException {
        ResultOutbox outbox = new ResultOutbox(dir);
        java.util.List<String> ids = java.util.List.of("u/1", "u:1", "u_1", "u%2F1", "..", "");
        for (String id : ids) {
            outbox.put(id, result(id));
        }

        assertThat(outbox.pending()).extracting(ResultOutboxTest::unitOf).containsExactlyInAnyOrderElementsOf(ids);
        ids.forEach(id -> assertThat(outbox.holds(id)).as(id).isTrue());
        assertThat(outbox.holds("u\u00e91")).isFalse();
    }

    /** A result an earlier version kept under the id made plain is still found by its unit after an upgrade. */
    @Test
    void aResultKeptUnderTheOldNameIsFoundByItsUnitAfterAnUpgrade() throws IOException {
        Files.write(dir.resolve("u_1.result"), result("u/1").toByteArray());
        Files.createDirectories(dir.resolve("refused"));
        Files.write(dir.resolve("refused").resolve("v_2.result"), result("v:2").toByteArray());

        ResultOutbox outbox = new ResultOutbox(dir);

        assertThat(outbox.holds("u/1")).as("its unit is not run again").isTrue();
        assertThat(outbox.holds("v:2")).isTrue();
        assertThat(outbox.holds("u_1")).isFalse();
        assertThat(outbox.pending()).extracting(ResultOutboxTest::unitOf).containsExactly("u/1");
    }

    /**
     * Only names the old naming can have given are read at start (a stem holding '_', of dots alone,
     * or longer than a name is now): a result under a name of the usual kind is not read, so not
     * moved even where its content names another unit; every old name of an id is one of those read
     * ({@link UnitFileNames#canBeOld}), and an old-named result whose unit's file is there too is left.
     */
    @Test
    void onlyNamesTheOldNamingCanHaveGivenAreReadAtStart() throws IOException {
        String longId = "a".repeat(UnitFileNames.MAX_CHARS + 20);
        Files.write(dir.resolve("...result"), result("..").toByteArray());
        Files.write(dir.resolve(longId + ".result"), result(longId).toByteArray());
        Files.write(dir.resolve("unit-7.result"), result("x/9").toByteArray());
        Files.write(dir.resolve("w_3.result"), result("w:3").toByteArray());
        Files.write(dir.resolve(ResultOutbox.fileName("w:3")), result("w:3").toByteArray());

        new ResultOutbox(dir);

        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    ResultOutbox.fileName(".."), ResultOutbox.fileName(longId), "unit-7.result", "w_3.result",
                    ResultOutbox.fileName("w:3"));
        }
        for (String id : List.of("u/1", "u:1", "..", ".", "", "\u00e9t\u00e9", "a b", longId, longId + "/x", "unit-42",
                "a.b", "u_1")) {
            if (!UnitFileNames.legacy(id).equals(UnitFileNames.of(id))) {
                assertThat(UnitFileNames.canBeOld(UnitFileNames.legacy(id))).as("the old name of %s", id).isTrue();
            }
        }
        assertThat(UnitFileNames.canBeOld(UnitFileNames.of("unit-42"))).isFalse();
        assertThat(UnitFileNames.canBeOld(UnitFileNames.of("3f2a9c1e-8b7d-4e6f-a5c4-0d1e2f3a4b5c"))).isFalse();
    }

    private static String unitOf(ResultOutbox.Pending pending) {
        try {
            return Result.parseFrom(pending.envelope().getPayload()).getWorkUnitId();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
