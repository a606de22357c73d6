package dev.rhizome.protocol.envelope;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds fields a message carries that this build's schema does not know. Protobuf keeps them
 * when it parses and writes them back when it encodes, so they would pass through every check
 * unread; where strictness matters they are refused instead.
 */
public final class UnknownFields {
    private UnknownFields() {
    }

    /** The path of the first message (e.g. {@code manifest.metric}) holding unknown fields, if any. */
    public static Optional<String> find(Message message) {
        return find(message, "");
    }

    /**
     * The message-typed fields of each message type, found once: {@code getAllFields()} builds a
     * map of every set field by reflection on each call, which cost more than the rest of a
     * request's parsing on the coordinator's hot path.
     */
    private static final Map<Descriptor, List<FieldDescriptor>> MESSAGE_FIELDS = new ConcurrentHashMap<>();

    private static Optional<String> find(Message message, String path) {
        if (!message.getUnknownFields().asMap().isEmpty()) {
            return Optional.of(path.isEmpty() ? message.getDescriptorForType().getName() : path);
        }
        for (FieldDescriptor field : MESSAGE_FIELDS.computeIfAbsent(message.getDescriptorForType(),
                UnknownFields::messageFields)) {
            String name = path.isEmpty() ? field.getName() : path + "." + field.getName();
            if (field.isRepeated()) {
                int count = message.getRepeatedFieldCount(field);
                for (int i = 0; i < count; i++) {
                    Optional<String> found = find((Message) message.getRepeatedField(field, i), name + "[" + i + "]");
                    if (found.isPresent()) {
                        return found;
                    }
                }
            } else if (message.hasField(field)) {
                Optional<String> found = find((Message) message.getField(field), name);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }

    private static List<FieldDescriptor> messageFields(Descriptor type) {
        return type.getFields().stream().filter(f -> f.getJavaType() == FieldDescriptor.JavaType.MESSAGE).toList();
    }
}
