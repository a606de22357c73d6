package dev.rhizome.client.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/** Signed records read from the coordinator, each verified against its author's key; forgeries are dropped. */
public final class Records {
    private Records() {
    }

    /** A verified paper with its id (the coordinator's: hex SHA-256 of its signed bytes), which other papers cite. */
    public record SignedPaper(String id, Paper paper, PublicId author) {
    }

    public static List<Experiment> experiments(CoordinatorClient client, String direction) throws CoordinatorException {
        return experiments(client.experiments(direction).getEnvelopesList());
    }

    /** Those whose proposer's signature verifies, in the order given. */
    public static List<Experiment> experiments(List<SignedEnvelope> envelopes) {
        List<Experiment> out = new ArrayList<>();
        for (SignedEnvelope e : envelopes) {
            try {
                out.add(Envelopes.openSignedBy(e, Experiment.getDefaultInstance(), Experiment::getProposer).record());
            } catch (SignatureException ignored) {
                // a record that does not verify is not evidence of anything
            }
        }
        return out;
    }

    public static List<SignedPaper> papers(CoordinatorClient client, String direction) throws CoordinatorException {
        return papers(client.papers(direction).getEnvelopesList());
    }

    public static List<SignedPaper> papers(List<SignedEnvelope> envelopes) {
        List<SignedPaper> out = new ArrayList<>();
        for (SignedEnvelope e : envelopes) {
            try {
                var v = Envelopes.openSignedBy(e, Paper.getDefaultInstance(), Paper::getAuthor);
                out.add(new SignedPaper(id(e), v.record(), v.signer()));
            } catch (SignatureException ignored) {
                // dropped, as above
            }
        }
        return out;
    }

    public static List<Result> results(List<SignedEnvelope> envelopes) {
        List<Result> out = new ArrayList<>();
        for (SignedEnvelope e : envelopes) {
            try {
                out.add(Envelopes.openSignedBy(e, Result.getDefaultInstance(), Result::getRunner).record());
            } catch (SignatureException ignored) {
                // dropped, as above
            }
        }
        return out;
    }

    public static Experiment experiment(SignedEnvelope e) {
        try {
            return Experiment.parseFrom(e.getPayload());
        } catch (InvalidProtocolBufferException ex) {
            return Experiment.getDefaultInstance();
        }
    }

    /**
     * The id the coordinator gives a record (what {@code submit} prints as {@code paper_id} and what
     * {@code --cites} takes): {@link Envelopes#id}, over the signed bytes only. Hashing the whole
     * envelope here once gave ids no coordinator knew, so a paper could not be cited by them.
     */
    public static String id(SignedEnvelope e) {
        return Envelopes.id(e);
    }
}
