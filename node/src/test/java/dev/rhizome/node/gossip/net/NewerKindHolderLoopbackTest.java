package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.PeerMessage;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A holder written from the schemas that serves an honest bundle with, after its header and each
 * chunk, a message of a kind a newer version added to {@code PeerMessage.body}: an older fetcher
 * scored that a wrong bundle (-16) and never took the commit from it. Now it skips the message.
 */
class NewerKindHolderLoopbackTest extends LoopbackTest {
    @Test
    void aHolderSendingAKindANewerVersionAddedMidTransferIsFetchedFromAtNoCost() throws Exception {
        String tip;
        byte[] bundle;
        try (NodeRepository forge = NodeRepository.open(tmp.resolve("forge.git"))) {
            tip = forge.commitFiles(null, Map.of("train.py", "lr = 0.2\n".getBytes()), "real", GossipServiceTest.AUTHOR);
            bundle = Files.readAllBytes(forge.bundle(tip, List.of()).path());
        }
        PeerMessage newer = PeerMessage.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                .addField(12, UnknownFieldSet.Field.newBuilder().addLengthDelimited(ByteString.copyFromUtf8("\u0008\u0001")).build())
                .build()).build();
        ServingRogue newerHolder = net.listed(new ServingRogue(tip, bundle, newer));
        LoopbackNet.Honest honest = net.besideRogue(tmp, newerHolder);

        // The maker never made it: only the newer holder has it.
        GossipServiceTest.await(() -> honest.asker().repo().has(tip), Duration.ofSeconds(60));
        assertThat(honest.asker().scoreOf(newerHolder.identity.publicId())).isZero();
    }
}
