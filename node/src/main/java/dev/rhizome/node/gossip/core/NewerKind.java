package dev.rhizome.node.gossip.core;

import com.google.protobuf.UnknownFieldSet;

/**
 * Whether a message whose body this version does not know is a newer version's kind or garbage.
 * Both ends of a link said protocol version 1 in their hellos, and that version grows only by
 * adding fields: a new kind of message is one more member of a {@code body} oneof
 * ({@code PeerMessage} or {@code Gossip}), a message, so it arrives here as exactly one field of
 * length-delimited bytes. Such a message is tolerated (dropped within the link's rate, counted);
 * anything else that parsed (varints, several fields, a group) is no kind at all, and malformed.
 */
public final class NewerKind {
    private NewerKind() {
    }

    /** True when the fields are one message of a kind this version does not know. */
    public static boolean is(UnknownFieldSet fields) {
        if (fields.asMap().size() != 1) {
            return false;
        }
        UnknownFieldSet.Field field = fields.asMap().values().iterator().next();
        return field.getLengthDelimitedList().size() == 1 && field.getVarintList().isEmpty()
                && field.getFixed32List().isEmpty() && field.getFixed64List().isEmpty() && field.getGroupList().isEmpty();
    }
}
