package dev.rhizome.coordinator.http;

import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Error;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.CompletableFuture;

/**
 * What a route answers: a protobuf message in the negotiated format, or plain text; or, for a
 * request answered later ({@link #later}: a claim that waits for work), the answer to come and
 * how to have it now ({@code hurry}: the client shut its side, so waiting on is for nobody).
 * {@code undelivered}: what to undo when the answer cannot be written (its connection is gone),
 * off the event loop; null for nothing. {@code shared}: the message is one instance answered to
 * many askers while it is current, so its encodings are kept with it ({@link EncodedAnswers}).
 */
record Reply(HttpResponseStatus status, Message message, String text, byte[] body, String contentType, String allow,
        CompletableFuture<Reply> pending, Runnable hurry, Runnable undelivered, boolean shared) {
    Reply(HttpResponseStatus status, Message message, String text, byte[] body, String contentType) {
        this(status, message, text, body, contentType, null, null, null, null, false);
    }

    /**
     * A message the same instance of which is answered to every asker while it is current (a
     * direction's leaderboard): encoded once per format, not per request.
     */
    static Reply shared(Message message) {
        return new Reply(HttpResponseStatus.OK, message, null, null, null, null, null, null, null, true);
    }

    /**
     * A route's answer. An {@link Ack}'s message is read on a terminal or by an agent as a
     * refusal's is, and may quote what a client stored: it is sent as {@link RefusalText} sends a
     * refusal's (its id is a name, commit or key, checked when stored).
     */
    static Reply of(Message message) {
        if (message instanceof Ack ack) {
            String shown = RefusalText.of(ack.getMessage());
            if (!shown.equals(ack.getMessage())) {
                message = ack.toBuilder().setMessage(shown).build();
            }
        }
        return new Reply(HttpResponseStatus.OK, message, null, null, null);
    }

    static Reply text(String text) {
        return new Reply(HttpResponseStatus.OK, null, text, null, null);
    }

    /**
     * An answer that comes later, off the worker: the connection's worker is let go meanwhile, and
     * cancelling {@code answer} (the connection closed first) tells whoever would complete it.
     * {@code hurry} asks for the answer now, with what it has (the client half-closed: it may still
     * read one answer, and a client that closed whole is only told apart from it by a write).
     */
    static Reply later(CompletableFuture<Reply> answer, Runnable hurry) {
        return new Reply(HttpResponseStatus.OK, null, null, null, null, null, answer, hurry, null, false);
    }

    /** The same reply with an Allow header: a 405 must say which methods the path accepts (RFC 9110, 15.5.6). */
    Reply withAllow(String methods) {
        return new Reply(status, message, text, body, contentType, methods, pending, hurry, undelivered, shared);
    }

    /**
     * The same reply with what to undo should it reach nobody (a claim's lease: given back, where
     * it stayed leased to a client that had gone until its deadline). Run once, off the event loop.
     */
    Reply ifUndelivered(Runnable undo) {
        return new Reply(status, message, text, body, contentType, allow, pending, hurry, undo, shared);
    }

    /** Bytes of a given type: the dashboard's page, script and styles, or a JSON document. */
    static Reply bytes(byte[] body, String contentType) {
        return new Reply(HttpResponseStatus.OK, null, null, body, contentType);
    }

    static Reply error(HttpResponseStatus status, Error error) {
        return new Reply(status, error, null, null, null);
    }
}
