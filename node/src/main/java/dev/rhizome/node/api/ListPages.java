package dev.rhizome.node.api;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.function.Function;

/**
 * Reads a whole list from a paged route (docs/api.md "Paging"): each page's {@code next} cursor
 * goes back as {@code after} until a page has none, and the pages are merged into one message,
 * as the unpaged route would have answered (repeated fields append in page order). A coordinator
 * that predates paging ignores the parameters and sends no cursor: its one answer is the whole
 * list. Transport-free, so the coordinator client and the audit export share it.
 */
public final class ListPages {
    /** The most items a page may hold (the coordinator's maximum): fewest round trips for a whole list. */
    public static final int LIMIT = 1000;

    /** One page of the list, after the given cursor ("" for the first). */
    @FunctionalInterface
    public interface Page<T extends Message, E extends Exception> {
        T after(String cursor) throws E;
    }

    private ListPages() {
    }

    /**
     * @param repeated the failure for a coordinator that hands back the cursor it was given
     *                 (which would otherwise be read forever)
     */
    public static <T extends Message, E extends Exception> T readAll(Page<T, E> page, Function<String, E> repeated)
            throws E {
        Message.Builder all = null;
        String after = "";
        while (true) {
            T answer = page.after(after);
            FieldDescriptor nextField = answer.getDescriptorForType().findFieldByName("next");
            String next = nextField == null ? "" : (String) answer.getField(nextField);
            if (all == null) {
                all = answer.toBuilder();
            } else {
                all.mergeFrom(answer);
            }
            if (next.isEmpty()) {
                if (nextField != null) {
                    all.clearField(nextField);
                }
                @SuppressWarnings("unchecked")
                T whole = (T) all.build();
                return whole;
            }
            if (next.equals(after)) {
                throw repeated.apply("returned the same page cursor twice");
            }
            after = next;
        }
    }
}
