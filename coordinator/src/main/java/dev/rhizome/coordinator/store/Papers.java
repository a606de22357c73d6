package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.List;

/**
 * Signed papers, by direction. Part of {@link Store.Transaction}.
 */
public interface Papers {
    void insertPaper(Paper paper, SignedEnvelope envelope, String envelopeId, long nowMs);

    boolean hasPaper(String envelopeId);

    /** Of one direction, or all when empty, newest first. */
    List<SignedEnvelope> papers(String direction);

    /** Of one direction, or all when empty, published before envelope {@code beforeSeq}, newest first. */
    List<Keyed<Long, SignedEnvelope>> papers(String direction, long beforeSeq, int limit);

    /**
     * Of one direction, or all when empty, published after envelope {@code afterSeq}, oldest first:
     * "what was published since I last looked" (`rhizome papers --new`), an index walk from the mark.
     */
    List<Keyed<Long, SignedEnvelope>> papersAfter(String direction, long afterSeq, int limit);
}
