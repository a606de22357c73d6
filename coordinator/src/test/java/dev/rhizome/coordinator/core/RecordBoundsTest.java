package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every field of every record a signed route accepts is bounded, found by walking the descriptors
 * (a field added later is covered without touching this test), and the bounds leave room for what
 * honest nodes and agents send.
 */
class RecordBoundsTest {
    /** The records of every signed route (SignedRequests). */
    private static final List<Message> RECORDS = List.of(Seed.getDefaultInstance(), Direction.getDefaultInstance(),
            DirectionClosure.getDefaultInstance(), KeyBan.getDefaultInstance(), ClaimRequest.getDefaultInstance(),
            LeaseRenewal.getDefaultInstance(), ExploreDone.getDefaultInstance(), Experiment.getDefaultInstance(),
            Result.getDefaultInstance(), Paper.getDefaultInstance(), NodeAnnouncement.getDefaultInstance());

    @Test
    void everyStringBytesAndRepeatedFieldOfEverySignedRecordIsBounded() {
        int checked = 0;
        for (Message record : RECORDS) {
            for (List<FieldDescriptor> path : fields(record.getDescriptorForType(), new ArrayList<>(), 0)) {
                FieldDescriptor field = path.get(path.size() - 1);
                Message oversized = field.isRepeated()
                        ? with(record, path, null, 10_001)
                        : switch (field.getJavaType()) {
                            case STRING -> with(record, path, "x".repeat(65_537), 1);
                            case BYTE_STRING -> with(record, path, ByteString.copyFrom(new byte[1_025]), 1);
                            default -> null;
                        };
                if (oversized == null) {
                    continue;  // numbers, enums, booleans: fixed size
                }
                assertThatThrownBy(() -> RecordBounds.check(oversized))
                        .as("%s.%s", record.getDescriptorForType().getName(), field.getName())
                        .isInstanceOf(Rejection.class)
                        .hasMessageContaining(field.getName())
                        .hasMessageContaining("at most");
                checked++;
            }
        }
        assertThat(checked).as("fields checked").isGreaterThan(60);
    }

    @Test
    void theBoundsLeaveRoomForHonestRecords() {
        RecordBounds.check(Experiment.newBuilder().setDescription("d".repeat(RecordBounds.MAX_DESCRIPTION_CHARS))
                .build());
        RecordBounds.check(Result.newBuilder().setReason("r".repeat(RecordBounds.MAX_TEXT_CHARS))
                .setHardwareClass("gpu:nvidia-h100-80gb-hbm3").build());
        RecordBounds.check(Paper.newBuilder().setBodyMarkdown("b".repeat(RequestRules.MAX_PAPER_BODY_BYTES)).build());
        NodeAnnouncement.Builder announced = NodeAnnouncement.newBuilder();
        for (int i = 0; i < RequestRules.MAX_ANNOUNCED_COMMITS; i++) {
            announced.addCommits("c");
        }
        RecordBounds.check(announced.build());
        RecordBounds.check(Seed.newBuilder().setManifest(Manifest.newBuilder().addCommand("python")
                .addCommand("-c").addCommand("p".repeat(RecordBounds.MAX_TEXT_CHARS))).build());

        assertThatThrownBy(() -> RecordBounds.check(Result.newBuilder()
                .setHardwareClass("h".repeat(RecordBounds.MAX_LABEL_CHARS + 1)).build()))
                .hasMessage("Result.hardware_class is 201 characters; at most 200 are allowed");
        assertThatThrownBy(() -> RecordBounds.check(Seed.newBuilder().setManifest(Manifest.newBuilder()
                .addCommand("java").addCommand("p".repeat(RecordBounds.MAX_TEXT_CHARS + 1))).build()))
                .hasMessage("Seed.manifest.command[1] is 4097 characters; at most 4096 are allowed");
    }

    /** Paths to every field, nested messages walked (to a depth that covers the manifest's knobs). */
    private static List<List<FieldDescriptor>> fields(com.google.protobuf.Descriptors.Descriptor type,
            List<FieldDescriptor> prefix, int depth) {
        List<List<FieldDescriptor>> all = new ArrayList<>();
        for (FieldDescriptor f : type.getFields()) {
            List<FieldDescriptor> path = new ArrayList<>(prefix);
            path.add(f);
            all.add(path);
            if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated() && depth < 3) {
                all.addAll(fields(f.getMessageType(), path, depth + 1));
            }
        }
        return all;
    }

    /** The record with the field at the end of {@code path} set to {@code value}, or given {@code n} default entries. */
    private static Message with(Message m, List<FieldDescriptor> path, Object value, int n) {
        FieldDescriptor f = path.get(0);
        Message.Builder b = m.toBuilder();
        if (path.size() > 1) {
            return b.setField(f, with((Message) m.getField(f), path.subList(1, path.size()), value, n)).build();
        }
        if (!f.isRepeated()) {
            return b.setField(f, value).build();
        }
        Object entry = switch (f.getJavaType()) {
            case STRING -> "x";
            case BYTE_STRING -> ByteString.EMPTY;
            case MESSAGE -> b.newBuilderForField(f).build();
            case ENUM -> f.getEnumType().getValues().get(0);
            case LONG -> 0L;
            case INT -> 0;
            case DOUBLE -> 0.0;
            case FLOAT -> 0.0f;
            case BOOLEAN -> false;
        };
        for (int i = 0; i < n; i++) {
            b.addRepeatedField(f, entry);
        }
        return b.build();
    }
}
