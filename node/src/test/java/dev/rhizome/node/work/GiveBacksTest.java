package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Error;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What follows each attempt at a give-back ({@link GiveBacks#after}, pure), and that what is kept
 * outlives the process that kept it. Against a real coordinator stopped and started again:
 * the client module's GiveBackRetriedTest.
 */
class GiveBacksTest {
    private static final long NOW = 1_000_000;
    private static final long DEADLINE = NOW + 600_000;

    @TempDir
    Path dir;

    @Test
    void anAcknowledgementOrARefusalEndsItNoAnswerIsTriedAgainBackingOff() {
        assertThat(GiveBacks.after(200, 0, 1, NOW, DEADLINE).done()).as("given back, or nothing given back").isTrue();
        assertThat(GiveBacks.after(409, 0, 1, NOW, DEADLINE).done()).as("another node's now").isTrue();
        assertThat(GiveBacks.after(404, 0, 1, NOW, DEADLINE).done()).as("a coordinator older than the route").isTrue();
        assertThat(GiveBacks.after(0, 0, 1, NOW, DEADLINE)).isEqualTo(new GiveBacks.Next(false, NOW + 1_000));
        assertThat(GiveBacks.after(503, 0, 2, NOW, DEADLINE)).isEqualTo(new GiveBacks.Next(false, NOW + 2_000));
        assertThat(GiveBacks.after(0, 0, 30, NOW, DEADLINE).atMs()).as("a minute at most").isEqualTo(NOW + 60_000);
        assertThat(GiveBacks.after(429, 30, 1, NOW, DEADLINE)).as("asked again when told")
                .isEqualTo(new GiveBacks.Next(false, NOW + 30_000));
    }

    @Test
    void nothingIsSentPastTheLeasesDeadline() {
        assertThat(GiveBacks.after(0, 0, 1, NOW, NOW + 500).done()).as("the unit is open by then anyway").isTrue();
    }

    /** A starved job's give-back says so after a restart too: the coordinator bounds those alone. */
    @Test
    void aStarvedGiveBackIsKeptStarvedAcrossARestart() throws Exception {
        List<GiveBacks.Pending> sent = new CopyOnWriteArrayList<>();
        GiveBacks first = new GiveBacks(dir, p -> {
            throw new CoordinatorException(0, Error.Code.CODE_UNSPECIFIED, "no answer");
        }, () -> NOW);
        first.keep(new GiveBacks.Pending("u/1", "cpu0", "kept off a CPU", DEADLINE, true));
        first.keep(new GiveBacks.Pending("u/2", "cpu1", "paused by its owner", DEADLINE));
        GiveBacks second = new GiveBacks(dir, sent::add, () -> NOW);  // the node restarted
        assertThat(second.pending()).containsExactlyInAnyOrder(
                new GiveBacks.Pending("u/1", "cpu0", "kept off a CPU", DEADLINE, true),
                new GiveBacks.Pending("u/2", "cpu1", "paused by its owner", DEADLINE, false));
        second.round();
        assertThat(sent).extracting(GiveBacks.Pending::unitId, GiveBacks.Pending::starved)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("u/1", true),
                        org.assertj.core.groups.Tuple.tuple("u/2", false));
    }

    @Test
    void whatIsKeptOutlivesTheProcessAndIsSentOnceHeard() throws Exception {
        AtomicInteger answer = new AtomicInteger(0);
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicLong clock = new AtomicLong(NOW);
        GiveBacks.Sender coordinator = p -> {
            sent.add(p.unitId());
            if (answer.get() != 200) {
                throw new CoordinatorException(answer.get(), Error.Code.CODE_UNSPECIFIED, "no answer");
            }
        };
        GiveBacks first = new GiveBacks(dir, coordinator, clock::get);
        first.keep(new GiveBacks.Pending("u/1", "cpu0", "paused by its owner", DEADLINE));
        assertThat(first.round()).isEqualTo(1);
        assertThat(first.round()).as("not again before its back-off").isEqualTo(1);
        assertThat(sent).hasSize(1);

        GiveBacks second = new GiveBacks(dir, coordinator, clock::get);  // the node restarted
        answer.set(200);
        assertThat(second.pending()).containsExactly(new GiveBacks.Pending("u/1", "cpu0", "paused by its owner", DEADLINE));
        assertThat(second.round()).isZero();
        assertThat(sent).hasSize(2);
        assertThat(second.holds("u/1")).isFalse();
        assertThat(Files.list(dir)).isEmpty();
    }

    @Test
    void aTornFileIsDroppedAndOnePastItsDeadlineIsNotSent() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicLong clock = new AtomicLong(NOW);
        GiveBacks giveBacks = new GiveBacks(dir, p -> sent.add(p.unitId()), clock::get);
        Files.writeString(dir.resolve("torn.give-back"), "unit=torn\nlease_deadline_ms=12");  // cut mid-number, or not
        Files.writeString(dir.resolve("bad.give-back"), "unit=bad\nlease_deadline_ms=");
        giveBacks.keep(new GiveBacks.Pending("late", "cpu0", "paused", NOW - 1));

        giveBacks.round();

        assertThat(sent).as("the torn one had a deadline long past; the other none").isEmpty();
        assertThat(Files.list(dir)).isEmpty();
    }

    /**
     * A node killed after the coordinator heard its give-back and before the file's delete, whose
     * restart claimed the reopened unit again: the resend would give back the new lease (signed afresh,
     * the coordinator cannot tell it from a give-back of that lease). A unit held in the buffer since
     * before the give-back was kept (the same lease: a kill before the slot forgot it) is given back.
     */
    @Test
    void aGiveBackIsNotSentForALeaseTheSlotTookAfterIt() throws Exception {
        Path kept = Files.createDirectories(dir.resolve("give-backs"));
        UnitBuffer buffer = new UnitBuffer(dir.resolve("buffer"));
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicLong clock = new AtomicLong(NOW);
        GiveBacks giveBacks = new GiveBacks(kept, p -> sent.add(p.unitId()), clock::get, buffer::heldSince);
        giveBacks.keep(new GiveBacks.Pending("again", "cpu0", "the node stopped before running it", DEADLINE));
        giveBacks.keep(new GiveBacks.Pending("same", "cpu1", "the node stopped before running it", DEADLINE));
        java.nio.file.attribute.FileTime keptAt = Files.getLastModifiedTime(kept.resolve("again.give-back"));
        buffer.put("cpu0", dev.rhizome.proto.v1.WorkUnit.newBuilder().setId("again").setLeaseDeadlineMs(DEADLINE + 9)
                .build());
        buffer.putAhead("cpu1", dev.rhizome.proto.v1.WorkUnit.newBuilder().setId("same").setLeaseDeadlineMs(DEADLINE)
                .build());
        Files.setLastModifiedTime(dir.resolve("buffer").resolve("cpu0.unit"),
                java.nio.file.attribute.FileTime.fromMillis(keptAt.toMillis() + 1_000));
        Files.setLastModifiedTime(dir.resolve("buffer").resolve("cpu1.ahead"),
                java.nio.file.attribute.FileTime.fromMillis(keptAt.toMillis() - 1_000));

        assertThat(giveBacks.round()).as("nothing left waiting").isZero();

        assertThat(sent).as("only the give-back of the lease the buffer held before it").containsExactly("same");
        assertThat(Files.list(kept)).isEmpty();
        assertThat(buffer.get("cpu0")).as("the later lease, kept").isPresent();
    }

    /**
     * Two units whose ids differ only in characters a file name does not hold plainly: their names
     * were once one ("u_1"), and the second give-back overwrote the first, whose unit then stayed
     * leased to a node that would not run it until the lease ran out.
     */
    @Test
    void twoUnitsWhoseIdsDifferOnlyInReplacedCharactersKeepOneGiveBackEach() throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        GiveBacks giveBacks = new GiveBacks(dir, p -> sent.add(p.unitId()), () -> NOW);
        List<String> ids = List.of("u/1", "u:1", "u_1", "u%2F1", "..", ".", "", "u\u00e91", "u\u00c31");
        for (String id : ids) {
            giveBacks.keep(new GiveBacks.Pending(id, "cpu0", "paused", DEADLINE));
        }

        assertThat(Files.list(dir)).hasSize(ids.size()).allSatisfy(f -> assertThat(f.getParent()).isEqualTo(dir));
        assertThat(giveBacks.pending()).extracting(GiveBacks.Pending::unitId).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(giveBacks.round()).isZero();
        assertThat(sent).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(Files.list(dir)).isEmpty();
    }

    /** A give-back an earlier version kept under the id made plain is sent, found and deleted once heard. */
    @Test
    void aGiveBackKeptUnderTheOldNameIsSentAfterAnUpgrade() throws Exception {
        Files.writeString(dir.resolve("u_1.give-back"),
                "unit=u/1\nslot=cpu0\nreason=paused\nlease_deadline_ms=" + DEADLINE + "\n");
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicInteger answer = new AtomicInteger(0);
        GiveBacks giveBacks = new GiveBacks(dir, p -> {
            sent.add(p.unitId());
            if (answer.get() != 200) {
                throw new CoordinatorException(answer.get(), Error.Code.CODE_UNSPECIFIED, "no answer");
            }
        }, () -> NOW);

        assertThat(giveBacks.holds("u/1")).as("a unit buffered before the upgrade is not run").isTrue();
        assertThat(giveBacks.holds("u_1")).isFalse();
        assertThat(giveBacks.round()).isEqualTo(1);
        answer.set(200);
        GiveBacks again = new GiveBacks(dir, p -> sent.add(p.unitId()), () -> NOW + 120_000);
        assertThat(again.round()).isZero();
        assertThat(sent).containsExactly("u/1", "u/1");
        assertThat(Files.list(dir)).as("deleted once heard, not sent every round until its deadline").isEmpty();
    }

    /**
     * An old-named give-back whose unit has a give-back under its name now as well: the one kept since
     * stays and the old one goes; a give-back under a name of the usual kind is not read at start.
     */
    @Test
    void anOldNamedGiveBackGivesWayToOneKeptSinceAndUsualNamesAreNotReadAtStart() throws Exception {
        String since = "unit=u/1\nslot=cpu1\nreason=stopped\nlease_deadline_ms=" + DEADLINE + "\n";
        Files.writeString(dir.resolve("u_1.give-back"), "unit=u/1\nslot=cpu0\nreason=paused\nlease_deadline_ms="
                + DEADLINE + "\n");
        Files.writeString(dir.resolve("u%2F1.give-back"), since);
        Files.writeString(dir.resolve("unit-7.give-back"), "unit=x/9\nslot=cpu0\nreason=paused\nlease_deadline_ms="
                + DEADLINE + "\n");

        GiveBacks giveBacks = new GiveBacks(dir, p -> { }, () -> NOW);

        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("u%2F1.give-back", "unit-7.give-back");
        }
        assertThat(Files.readString(dir.resolve("u%2F1.give-back"))).as("the one kept since").isEqualTo(since);
        assertThat(giveBacks.holds("u/1")).isTrue();
    }
}
