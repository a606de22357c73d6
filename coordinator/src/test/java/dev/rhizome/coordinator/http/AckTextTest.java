package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Ack;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * An Ack's message is read as a refusal's is (on a terminal, by an agent), and a service may put
 * stored text in it: what is sent is escaped and bounded as a refusal is ({@link RefusalText}),
 * in JSON and in protobuf, whichever service built it; its id is sent as it is.
 */
class AckTextTest {
    private static final Ack QUOTING = Ack.newBuilder().setId("direction-1")
            .setMessage("adopted (reason\twith a tab\nand a line feed\u009b[2J\u202e)").build();

    @Test
    void anAcksMessageIsSentEscapedInEitherFormat() throws Exception {
        String json = body(Reply.of(QUOTING), false);
        assertThat(json).contains("\\\\u0009with a tab\\\\u000aand a line feed\\\\u009b[2J\\\\u202e")
                .doesNotContain("\\t").doesNotContain("\\n").contains("\"direction-1\"");
        FullHttpResponse protobuf = Responses.of(ByteBufAllocator.DEFAULT, Reply.of(QUOTING), true);
        try {
            byte[] bytes = new byte[protobuf.content().readableBytes()];
            protobuf.content().readBytes(bytes);
            Ack sent = Ack.parseFrom(bytes);
            assertThat(sent.getMessage()).isEqualTo("adopted (reason\\u0009with a tab\\u000aand a line feed\\u009b[2J\\u202e)");
            assertThat(sent.getId()).isEqualTo("direction-1");
        } finally {
            protobuf.release();
        }
    }

    @Test
    void aPrintableAckIsSentAsBuilt() {
        Ack plain = Ack.newBuilder().setId("seed-1").setMessage("seed published").build();
        assertThat(Reply.of(plain).message()).isSameAs(plain);
    }

    private static String body(Reply reply, boolean protobuf) {
        FullHttpResponse response = Responses.of(ByteBufAllocator.DEFAULT, reply, protobuf);
        try {
            return response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
        }
    }
}
