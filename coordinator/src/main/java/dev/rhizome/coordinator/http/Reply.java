package dev.rhizome.coordinator.http;

import com.google.protobuf.Message;
import io.netty.handler.codec.http.HttpResponseStatus;

/** What a route answers: a protobuf message in the negotiated format, or plain text. */
record Reply(HttpResponseStatus status, Message message, String text) {
    static Reply of(Message message) {
        return new Reply(HttpResponseStatus.OK, message, null);
    }

    static Reply text(String text) {
        return new Reply(HttpResponseStatus.OK, null, text);
    }

    static Reply error(HttpResponseStatus status, dev.rhizome.proto.v1.Error error) {
        return new Reply(status, error, null);
    }
}
