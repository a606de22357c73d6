package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.rhizome.protocol.Printable;
import java.util.List;
import java.util.Map;

/**
 * Bounds every field of every signed record, read from the record's descriptor, so that no field
 * (including one added later) is bounded only by the body limit. Without this a single key could
 * store a 1 MiB experiment description, hardware class or result reason, once per request, and
 * every reply that lists such records (the dashboard's 500 newest experiments, a page of 1,000
 * papers) grew with them: hundreds of megabytes built in memory per request.
 *
 * <p>Defaults: a string at most {@link #MAX_TEXT_CHARS} characters, bytes at most
 * {@link #MAX_BYTES}, a repeated field at most {@link #MAX_ENTRIES} entries; a few fields named
 * below get their own bound. Nested messages (a seed's manifest) are walked too.
 *
 * <p>Every string holds only {@link Printable} text (tabs and line feeds, no other control
 * character, no bidirectional override): what is stored is shown to operators' terminals by the
 * `rhizome` commands and to the dashboard, and a title that clears the screen or a hardware class
 * that reads backwards was stored and shown as sent. Pure: no I/O.
 */
public final class RecordBounds {
    public static final int MAX_TEXT_CHARS = 4_096;
    public static final int MAX_DESCRIPTION_CHARS = 16_384;
    public static final int MAX_LABEL_CHARS = 200;
    public static final int MAX_BYTES = 1_024;
    public static final int MAX_ENTRIES = 1_000;
    /** A node's announced reason for claiming nothing ({@code NodeAnnouncement.not_claiming}): one line. */
    public static final int MAX_NOT_CLAIMING_CHARS = 300;

    /** Fields with their own bound on characters (strings) or entries (repeated), by name or full name. */
    private static final Map<String, Integer> TEXT = Map.of(
            // free text people write: a commit message can be long, the dashboard cuts what it shows
            "rhizome.v1.Experiment.description", MAX_DESCRIPTION_CHARS,
            "rhizome.v1.Direction.description", MAX_DESCRIPTION_CHARS,
            // checked in bytes by RequestRules.paper (64 KiB of UTF-8); this only keeps the walk from refusing it first
            "rhizome.v1.Paper.body_markdown", RequestRules.MAX_PAPER_BODY_BYTES,
            // a label: part of trial keys, leaderboard names and the dashboard's volunteers
            "hardware_class", MAX_LABEL_CHARS,
            // a node's own line on why it claims nothing now, shown beside it in the node list
            "rhizome.v1.NodeAnnouncement.not_claiming", MAX_NOT_CLAIMING_CHARS);
    private static final Map<String, Integer> ENTRIES = Map.of(
            "rhizome.v1.NodeAnnouncement.commits", RequestRules.MAX_ANNOUNCED_COMMITS);

    private RecordBounds() {
    }

    /** Refuses (400, naming the field and the bound) a record with a field over its bound. */
    public static void check(Message record) {
        check(record, new Where(null, record.getDescriptorForType().getName(), null, -1));
    }

    private static void check(Message message, Where where) {
        for (Map.Entry<FieldDescriptor, Object> entry : message.getAllFields().entrySet()) {
            FieldDescriptor field = entry.getKey();
            if (field.isRepeated()) {
                List<?> values = (List<?>) entry.getValue();
                int max = ENTRIES.getOrDefault(field.getFullName(), MAX_ENTRIES);
                if (values.size() > max) {
                    throw Rejection.badRequest(new Where(where, null, field, -1) + " has " + values.size()
                            + " entries; at most " + max + " are allowed");
                }
                for (int i = 0; i < values.size(); i++) {
                    checkValue(field, values.get(i), where, i);
                }
            } else {
                checkValue(field, entry.getValue(), where, -1);
            }
        }
    }

    /**
     * Refuses {@code text} unless it is {@link Printable}, naming {@code name}, the character and
     * where it is: the rule for every string a request brings, stored or only looked up (a query
     * parameter: PostgreSQL refuses a NUL in any text, which made a lookup a 500).
     */
    public static void printable(String name, String text) {
        int unsafe = Printable.firstUnsafe(text);
        if (unsafe >= 0) {
            throw Rejection.badRequest(name + " has a control character (U+" + String.format("%04X",
                    text.codePointAt(unsafe)) + ") at character " + unsafe + "; text may hold tabs and "
                    + "line feeds, but no other control characters, bidirectional overrides or separators");
        }
    }

    private static void checkValue(FieldDescriptor field, Object value, Where parent, int index) {
        switch (field.getJavaType()) {
            case STRING -> {
                int max = TEXT.getOrDefault(field.getFullName(), TEXT.getOrDefault(field.getName(), MAX_TEXT_CHARS));
                String text = (String) value;
                if (text.length() > max) {
                    throw Rejection.badRequest(new Where(parent, null, field, index) + " is " + text.length()
                            + " characters; at most " + max + " are allowed");
                }
                if (Printable.firstUnsafe(text) >= 0) {
                    printable(new Where(parent, null, field, index).toString(), text);
                }
            }
            case BYTE_STRING -> {
                int size = ((ByteString) value).size();
                if (size > MAX_BYTES) {
                    throw Rejection.badRequest(new Where(parent, null, field, index) + " is " + size
                            + " bytes; at most " + MAX_BYTES + " are allowed");
                }
            }
            case MESSAGE -> check((Message) value, new Where(parent, null, field, index));
            default -> {
                // numbers, booleans and enums have a fixed size
            }
        }
    }

    /**
     * Where a field sits in a record ({@code Seed.manifest.command[1]}), spelled out only for a
     * refusal: every request walks every field, and building each one's name up front cost more
     * than the checks themselves.
     */
    private record Where(Where parent, String root, FieldDescriptor field, int index) {
        @Override
        public String toString() {
            if (parent == null) {
                return root;
            }
            return parent + "." + field.getName() + (index >= 0 ? "[" + index + "]" : "");
        }
    }
}
