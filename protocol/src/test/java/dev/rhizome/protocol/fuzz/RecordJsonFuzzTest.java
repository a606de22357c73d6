package dev.rhizome.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.protocol.Json;

/**
 * JSON bodies for every record type: parsing either gives a message that prints and parses back
 * to itself, or an InvalidProtocolBufferException; nothing else escapes.
 */
class RecordJsonFuzzTest {
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void parsingAnyJsonFailsCleanlyOrRoundTrips(FuzzedDataProvider data) throws Exception {
        Message prototype = data.pickValue(Records.ALL);
        String json = data.consumeRemainingAsString();
        Message parsed;
        try {
            parsed = Json.parse(json, prototype.newBuilderForType()).build();
        } catch (InvalidProtocolBufferException expected) {
            return;
        }
        assertThat(Json.parse(Json.print(parsed), prototype.newBuilderForType()).build()).isEqualTo(parsed);
    }
}
