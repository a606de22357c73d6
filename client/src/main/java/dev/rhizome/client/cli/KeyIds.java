package dev.rhizome.client.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The protobuf JSON of a key is base64 (`"runner": "IRM3Wj..."`), while `rhizome id`, `papers`,
 * `node status`, `--operator` and `ban --key` use hex: a user could not match a runner in
 * `results --json` with anything else they had. Beside every key field of every record a command
 * prints, this adds the same key in hex under {@code <field>_id} (the base64 field stays: a contract).
 */
public final class KeyIds {
    /**
     * Fields that hold an Ed25519 public key in the records and answers the commands print
     * (`direction list` gave `opened_by` in base64 alone: KeyIdsTest walks every bytes field of
     * the schemas so a key field added later cannot be missed).
     */
    static final Set<String> KEY_FIELDS = Set.of("runner", "proposer", "publisher", "node", "author",
            "banned_by", "key", "signer", "opened_by", "closed_by", "holder", "receipt_key", "claimant", "requeued_by",
            "operator");

    private KeyIds() {
    }

    public static void add(Message message, JsonObject json) {
        for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
            // an absent key has its _id too, null: the same keys whether a key is set or not
            if (field.getType() == FieldDescriptor.Type.BYTES && !field.isRepeated() && KEY_FIELDS.contains(field.getName())
                    && ((ByteString) message.getField(field)).isEmpty() && !json.has(field.getName() + "_id")) {
                json.add(field.getName() + "_id", JsonValues.absent());
            }
        }
        for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
            FieldDescriptor field = e.getKey();
            String name = field.getName();
            if (field.getType() == FieldDescriptor.Type.BYTES && !field.isRepeated()) {
                ByteString value = (ByteString) e.getValue();
                if (KEY_FIELDS.contains(name) && value.size() == 32 && !json.has(name + "_id")) {
                    json.addProperty(name + "_id", HexFormat.of().formatHex(value.toByteArray()));
                }
            } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isMapField()) {
                JsonElement child = json.get(name);
                if (field.isRepeated() && child instanceof JsonArray array) {
                    List<?> values = (List<?>) e.getValue();
                    for (int i = 0; i < values.size() && i < array.size(); i++) {
                        if (array.get(i) instanceof JsonObject o) {
                            add((Message) values.get(i), o);
                        }
                    }
                } else if (!field.isRepeated() && child instanceof JsonObject o) {
                    add((Message) e.getValue(), o);
                }
            }
        }
    }
}
