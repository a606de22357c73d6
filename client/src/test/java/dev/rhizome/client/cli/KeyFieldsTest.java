package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.rhizome.proto.v1.Api;
import dev.rhizome.proto.v1.Peer;
import dev.rhizome.proto.v1.Records;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every single bytes field of the schemas is either a key, which the JSON answers give in hex too
 * ({@link KeyIds}), or named here as something else. `opened_by`, `closed_by` and `holder` were
 * keys that KeyIds did not know: `direction list --json` gave who opened a direction in base64
 * alone, which neither `ban --key` users nor `rhizome id` readers could match.
 */
class KeyFieldsTest {
    /** Bytes that are not a public key: digests, nonces, proofs, payloads, a confirmation's revealed secret. */
    private static final Set<String> NOT_KEYS = Set.of("nonce", "log_sha256", "bundle_sha256", "sha256", "data",
            "proof", "signature", "payload", "commitment", "seed_reveal", "seed_commitment");

    @Test
    void everyBytesFieldIsAKnownKeyOrNamedAsSomethingElse() {
        List<String> unknown = new ArrayList<>();
        for (FileDescriptor file : List.of(Api.getDescriptor(),
                Records.getDescriptor(), Peer.getDescriptor())) {
            file.getMessageTypes().forEach(m -> collect(m, unknown));
        }
        assertThat(unknown).isEmpty();
    }

    private static void collect(Descriptor message, List<String> unknown) {
        for (FieldDescriptor f : message.getFields()) {
            if (f.getType() == FieldDescriptor.Type.BYTES && !f.isRepeated()
                    && !KeyIds.KEY_FIELDS.contains(f.getName()) && !NOT_KEYS.contains(f.getName())) {
                unknown.add(message.getFullName() + "." + f.getName());
            }
        }
        message.getNestedTypes().forEach(n -> collect(n, unknown));
    }
}
