package dev.rhizome.protocol.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExploreDone;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;
import java.util.function.Function;

/** Every record type that arrives from outside, each with the field that names its signer. */
public final class Records {
    public record Kind(Message prototype, Function<Message, ByteString> signer) {
    }

    public static final List<Kind> SIGNED = List.of(
            new Kind(Seed.getDefaultInstance(), m -> ((Seed) m).getPublisher()),
            new Kind(Direction.getDefaultInstance(), m -> ((Direction) m).getOpenedBy()),
            new Kind(Experiment.getDefaultInstance(), m -> ((Experiment) m).getProposer()),
            new Kind(Result.getDefaultInstance(), m -> ((Result) m).getRunner()),
            new Kind(Paper.getDefaultInstance(), m -> ((Paper) m).getAuthor()),
            new Kind(NodeAnnouncement.getDefaultInstance(), m -> ((NodeAnnouncement) m).getNode()),
            new Kind(NodeInfo.getDefaultInstance(), m -> ((NodeInfo) m).getNode()),
            new Kind(ClaimRequest.getDefaultInstance(), m -> ((ClaimRequest) m).getNode()),
            new Kind(ExploreDone.getDefaultInstance(), m -> ((ExploreDone) m).getNode()),
            new Kind(LeaseRenewal.getDefaultInstance(), m -> ((LeaseRenewal) m).getNode()));

    /** Every message type parsed from outside bytes, signed or not. */
    public static final List<Message> ALL = List.of(SignedEnvelope.getDefaultInstance(), Manifest.getDefaultInstance(),
            PeerMessage.getDefaultInstance(), Seed.getDefaultInstance(), Direction.getDefaultInstance(),
            Experiment.getDefaultInstance(), Result.getDefaultInstance(), Paper.getDefaultInstance(),
            NodeAnnouncement.getDefaultInstance(), NodeInfo.getDefaultInstance(), ClaimRequest.getDefaultInstance(),
            ExploreDone.getDefaultInstance(), LeaseRenewal.getDefaultInstance());

    private Records() {
    }
}
