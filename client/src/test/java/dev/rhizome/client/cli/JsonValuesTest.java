package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Api;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Peer;
import dev.rhizome.proto.v1.Records;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every record a command prints gives its 64-bit integers as JSON numbers and an unset metric
 * (its {@code has_} flag false) as null, walked over every message of the schemas so a field added
 * later cannot slip: `claim --json` gave the unit's {@code lease_deadline_ms} as a string where
 * `renew --json` gave a number, and `direction list --json` a {@code frontier_metric} of 0.0 for a
 * direction nothing had measured yet.
 */
class JsonValuesTest {
    private static final long BIG = (1L << 40) + 7;

    @Test
    void theUnitOfAClaimHasItsDeadlineAsANumberAsRenewPrintsIt() {
        JsonObject unit = Output.toJson(WorkUnit.newBuilder().setId("u").setLeaseDeadlineMs(1796230287142L).build())
                .getAsJsonObject();
        assertThat(unit.get("lease_deadline_ms").getAsJsonPrimitive().isNumber()).as(unit.toString()).isTrue();
        assertThat(unit.get("lease_deadline_ms").getAsLong()).isEqualTo(1796230287142L);
    }

    @Test
    void aDirectionWithNoMeasuredFrontierHasANullMetricNotZero() {
        JsonObject o = Output.toJson(DirectionStatus.newBuilder().setFrontierCommit("c").build()).getAsJsonObject();
        assertThat(o.get("frontier_metric").isJsonNull()).as(o.toString()).isTrue();
        assertThat(o.get("baseline_metric").isJsonNull()).isTrue();
        assertThat(o.get("has_frontier_metric").getAsBoolean()).as("the flag stays").isFalse();
        JsonObject measured = Output.toJson(DirectionStatus.newBuilder().setFrontierMetric(2.5).setHasFrontierMetric(true)
                .build()).getAsJsonObject();
        assertThat(measured.get("frontier_metric").getAsDouble()).isEqualTo(2.5);
    }

    @Test
    void aResultThatMeasuredNothingHasANullMetricNotZero() {
        JsonObject timeout = Output.toJson(Result.newBuilder().setStatus(Result.Status.TIMEOUT).setMetricName("val_bpb")
                .build()).getAsJsonObject();
        assertThat(timeout.get("metric").isJsonNull()).as(timeout.toString()).isTrue();
        JsonObject ok = Output.toJson(Result.newBuilder().setStatus(Result.Status.OK).setMetric(2.5).build())
                .getAsJsonObject();
        assertThat(ok.get("metric").getAsDouble()).isEqualTo(2.5);
    }

    @Test
    void everyMessageOfTheSchemasPrintsNumbersAsNumbersAndUnsetMetricsAsNull() {
        List<String> wrong = new ArrayList<>();
        for (FileDescriptor file : List.of(Api.getDescriptor(),
                Records.getDescriptor(), Peer.getDescriptor())) {
            for (Descriptor type : file.getMessageTypes()) {
                Message message = filled(type, 3);
                check(type.getFullName(), message, Output.toJson(message).getAsJsonObject(), wrong);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** A message with every 64-bit integer set past 2^32, every has_ flag false, nested messages filled too. */
    private static Message filled(Descriptor type, int depth) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
        for (FieldDescriptor f : type.getFields()) {
            if (f.getJavaType() == FieldDescriptor.JavaType.LONG) {
                if (f.isRepeated()) {
                    b.addRepeatedField(f, BIG);
                } else {
                    b.setField(f, BIG);
                }
            } else if (f.getJavaType() == FieldDescriptor.JavaType.DOUBLE && !f.isRepeated()) {
                b.setField(f, 1.5);
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField() && depth > 0
                    && f.getMessageType().getFile().getPackage().equals(type.getFile().getPackage())) {
                Message child = filled(f.getMessageType(), depth - 1);
                if (f.isRepeated()) {
                    b.addRepeatedField(f, child);
                } else {
                    b.setField(f, child);
                }
            }
        }
        return b.build();
    }

    private static void check(String where, Message message, JsonObject json, List<String> wrong) {
        for (FieldDescriptor f : message.getDescriptorForType().getFields()) {
            JsonElement value = json.get(f.getName());
            String at = where + "." + f.getName();
            if (value == null) {
                continue;
            }
            if (f.getName().startsWith("has_") && message.getDescriptorForType().findFieldByName(f.getName().substring(4)) != null) {
                JsonElement metric = json.get(f.getName().substring(4));
                if (metric != null && !metric.isJsonNull()) {
                    wrong.add(at + " is false but " + f.getName().substring(4) + " is " + metric);
                }
            } else if (f.getJavaType() == FieldDescriptor.JavaType.LONG) {
                JsonElement one = f.isRepeated() ? value.getAsJsonArray().get(0) : value;
                if (!one.getAsJsonPrimitive().isNumber() || one.getAsLong() != BIG) {
                    wrong.add(at + " is " + one);
                }
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField()) {
                if (!f.isRepeated() && value.isJsonObject()) {
                    check(at, (Message) message.getField(f), value.getAsJsonObject(), wrong);
                } else if (f.isRepeated() && value.isJsonArray() && !value.getAsJsonArray().isEmpty()) {
                    check(at, (Message) message.getRepeatedField(f, 0), value.getAsJsonArray().get(0).getAsJsonObject(), wrong);
                }
            }
        }
    }
}
