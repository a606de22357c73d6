package dev.rhizome.protocol.envelope;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    private static Optional<String> find(Message message, String path) {
        if (!message.getUnknownFields().asMap().isEmpty()) {
            return Optional.of(path.isEmpty() ? message.getDescriptorForType().getName() : path);
        }
        for (Map.Entry<FieldDescriptor, Object> field : message.getAllFields().entrySet()) {
            if (field.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            String name = path.isEmpty() ? field.getKey().getName() : path + "." + field.getKey().getName();
            if (field.getKey().isRepeated()) {
                List<?> items = (List<?>) field.getValue();
                for (int i = 0; i < items.size(); i++) {
                    Optional<String> found = find((Message) items.get(i), name + "[" + i + "]");
                    if (found.isPresent()) {
                        return found;
                    }
                }
            } else {
                Optional<String> found = find((Message) field.getValue(), name);
                if (found.isPresent()) {
                    return found;
                }
            }
        }
        return Optional.empty();
    }
}
