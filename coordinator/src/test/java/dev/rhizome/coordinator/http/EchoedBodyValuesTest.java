package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.LeaseGiveBack;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.ProtectedRegion;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * What a refusal quotes of a signed record's text field is bounded however the value is spelled.
 * {@link EchoedValuesTest} walks the query and the headers with runs of one character, which
 * RefusalText cuts past 80; a value of short words separated by spaces passes that cut, and came
 * back at the message's own bound (1,000 characters, its middle cut: the hint of what to do among
 * it). The requeue route's bad commit was one such quote; this walks every string field (singular
 * or repeated, two levels into nested records, a repeated record's first) of a record on every POST route (checked against the
 * route table, so a route added later is walked too), each in turn set to a long run of short
 * words, signed by a key the route admits, and holds that no answer repeats more than
 * {@link #MOST_WORDS} of them, and none is a 500.
 */
class EchoedBodyValuesTest extends SeededCoordinatorTest {
    private static final String WORD = "zq";
    /** 1,200 characters of words: past every field's bound that quotes it, far past the echo's 60. */
    private static final String SPACED = (WORD + " ").repeat(400).strip();
    /** The echo's bound is 60 characters (LogSafe.of(v, 60)), 20 words of three; slack for a second quote. */
    private static final int MOST_WORDS = 45;

    @Test
    void noRefusalRepeatsMoreThanItsBoundOfAnyTextFieldOnAnyPostRoute() throws Exception {
        Identity node = Identity.generate();
        WorkUnit unit = h.claimEvaluation(node, h.seedCommit);
        long now = h.clock.millis();
        Map<String, Message> records = new TreeMap<>(Map.ofEntries(
                Map.entry("/v1/seeds", Fixtures.seed(h.operator, "other-seed", Fixtures.commit(), h.manifest.toBuilder()
                        .addKnobs(Knob.newBuilder().setName("lr").setFile("config.properties").setMin(0.1).setMax(1))
                        .addProtectedRegions(ProtectedRegion.newBuilder().setFile("config.properties")
                                .setBeginMarker("# begin").setEndMarker("# end"))
                        .addTrustedProposers(node.publicId().toString()).build(), now)),
                Map.entry("/v1/directions", Fixtures.direction(h.operator, "other", Harness.SEED, h.seedCommit, now)),
                Map.entry("/v1/directions/close", DirectionClosure.newBuilder().setName(Harness.DIRECTION)
                        .setReason("done").setClosedBy(h.operator.publicId().toByteString()).setClosedMs(now).build()),
                Map.entry("/v1/directions/requeue", TrialRequeueOrder.newBuilder().setName(Harness.DIRECTION)
                        .setCommit(h.seedCommit).setReason("again")
                        .setRequeuedBy(h.operator.publicId().toByteString()).setRequeuedMs(now).build()),
                Map.entry("/v1/bans", KeyBan.newBuilder().setKey(Identity.generate().publicId().toByteString())
                        .setReason("spam").setBannedBy(h.operator.publicId().toByteString()).setBannedMs(now).build()),
                Map.entry("/v1/claim", ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                        .setHardwareClass("cpu:x86_64").setDirection(Harness.DIRECTION).setTimeMs(now)
                        .setNonce(Fixtures.nonce()).build()),
                Map.entry("/v1/leases/renew", LeaseRenewal.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(node.publicId().toByteString()).setTimeMs(now).build()),
                Map.entry("/v1/leases/give-back", LeaseGiveBack.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(node.publicId().toByteString()).setTimeMs(now).setReason("busy").build()),
                Map.entry("/v1/explore-done", ExploreDone.newBuilder().setWorkUnitId(unit.getId())
                        .setNode(node.publicId().toByteString()).addCommits(Fixtures.commit()).setReason("none")
                        .setTimeMs(now).build()),
                Map.entry("/v1/experiments", Fixtures.experiment(node, Harness.SEED, Harness.DIRECTION,
                        Fixtures.commit(), h.seedCommit, now)),
                Map.entry("/v1/results", Fixtures.result(node, unit, 1.0, now)),
                Map.entry("/v1/papers", Paper.newBuilder().setDirection(Harness.DIRECTION).setTitle("t")
                        .setBodyMarkdown("b").addCommits(Fixtures.commit()).addCites("0".repeat(64))
                        .setAuthor(node.publicId().toByteString()).setCreatedMs(now).build()),
                Map.entry("/v1/announce", NodeAnnouncement.newBuilder().setNode(node.publicId().toByteString())
                        .setHost("127.0.0.1").setPort(7001).addCommits(Fixtures.commit()).setHardwareClass("cpu:x86_64")
                        .setTimeMs(now).build())));
        assertThat(records.keySet()).as("every POST route is walked").isEqualTo(RouteTable.paths("POST"));

        SoftAssertions soft = new SoftAssertions();
        int refused = 0;
        for (var route : records.entrySet()) {
            Message base = route.getValue();
            for (List<FieldDescriptor> field : textFields(base, 3)) {
                Message hostile = withText(base, field, 0);
                Identity signer = operatorsOnly(route.getKey()) ? h.operator : node;
                ApiClient.Response r = h.api.signAndPost(route.getKey(), signer, hostile);
                String what = route.getKey() + " " + name(field);
                soft.assertThat(r.status()).as(what + " -> " + r.text()).isNotEqualTo(500);
                if (r.status() != 200) {
                    refused++;
                    soft.assertThat(words(r.error().getMessage())).as(what + " repeats at most " + MOST_WORDS
                            + " words of it: " + r.error().getMessage()).isLessThanOrEqualTo(MOST_WORDS);
                }
            }
        }
        soft.assertThat(refused).as("the walk reached refusals").isGreaterThan(20);
        soft.assertAll();
    }

    /** The operator signs what only operators may; the node everything else (its record names it). */
    private static boolean operatorsOnly(String path) {
        return path.startsWith("/v1/seeds") || path.startsWith("/v1/directions") || path.equals("/v1/bans");
    }

    private static int words(String message) {
        Matcher m = Pattern.compile("\\b" + WORD + "\\b").matcher(message);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** The paths to each string field of {@code record} and of its set nested records (a repeated one's first), {@code depth} levels down. */
    private static List<List<FieldDescriptor>> textFields(Message record, int depth) {
        List<List<FieldDescriptor>> out = new ArrayList<>();
        for (FieldDescriptor f : record.getDescriptorForType().getFields()) {
            if (f.getJavaType() == FieldDescriptor.JavaType.STRING) {
                out.add(List.of(f));
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField() && depth > 1
                    && (f.isRepeated() ? record.getRepeatedFieldCount(f) > 0 : record.hasField(f))) {
                Message inside = (Message) (f.isRepeated() ? record.getRepeatedField(f, 0) : record.getField(f));
                for (List<FieldDescriptor> inner : textFields(inside, depth - 1)) {
                    List<FieldDescriptor> path = new ArrayList<>();
                    path.add(f);
                    path.addAll(inner);
                    out.add(path);
                }
            }
        }
        return out;
    }

    /** {@code record} with the field at {@code path} (from {@code at}) holding {@link #SPACED}, as its only value if repeated. */
    private static Message withText(Message record, List<FieldDescriptor> path, int at) {
        FieldDescriptor f = path.get(at);
        Message.Builder b = record.toBuilder();
        if (at < path.size() - 1) {
            return f.isRepeated()
                    ? b.setRepeatedField(f, 0, withText((Message) record.getRepeatedField(f, 0), path, at + 1)).build()
                    : b.setField(f, withText((Message) record.getField(f), path, at + 1)).build();
        }
        if (f.isRepeated()) {
            b.clearField(f).addRepeatedField(f, SPACED);
        } else {
            b.setField(f, SPACED);
        }
        return b.build();
    }

    private static String name(List<FieldDescriptor> path) {
        return String.join(".", path.stream().map(FieldDescriptor::getName).toList());
    }
}
