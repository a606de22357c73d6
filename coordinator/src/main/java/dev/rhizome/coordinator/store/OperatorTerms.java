package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.OperatorTerm;
import java.util.List;

/**
 * Each operator key's terms, recorded at coordinator starts (migration 38). Part of
 * {@link Store.Transaction}.
 */
public interface OperatorTerms {
    /** Every term, open ones ({@code until_ms} 0) too, by key then start. */
    List<OperatorTerm> operatorTerms();

    /** Opens a term of {@code key} from {@code fromMs}. */
    void openOperatorTerm(ByteString key, long fromMs);

    /** Ends {@code key}'s open term at {@code untilMs}. */
    void endOperatorTerm(ByteString key, long untilMs);
}
