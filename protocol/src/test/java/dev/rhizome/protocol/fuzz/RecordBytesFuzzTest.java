package dev.rhizome.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.protocol.envelope.UnknownFields;

/** Protobuf bytes for every record type: parse and re-encode, or InvalidProtocolBufferException. */
class RecordBytesFuzzTest {
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void parsingAnyBytesFailsCleanlyOrRoundTrips(FuzzedDataProvider data) throws Exception {
        Message prototype = data.pickValue(Records.ALL);
        byte[] bytes = data.consumeRemainingAsBytes();
        Message parsed;
        try {
            parsed = prototype.getParserForType().parseFrom(bytes);
        } catch (InvalidProtocolBufferException expected) {
            return;
        }
        UnknownFields.find(parsed);
        assertThat(prototype.getParserForType().parseFrom(parsed.toByteArray())).isEqualTo(parsed);
    }
}
