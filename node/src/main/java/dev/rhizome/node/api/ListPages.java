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

    /** What is done with each page as it arrives. */
    @FunctionalInterface
    public interface Each<T extends Message, E extends Exception> {
        void accept(T page) throws E;
    }

    /**
     * @param repeated the failure for a coordinator that hands back the cursor it was given
     *                 (which would otherwise be read forever)
     */
    public static <T extends Message, E extends Exception> T readAll(Page<T, E> page, Function<String, E> repeated)
            throws E {
        Message.Builder[] all = {null};
        forEach(page, repeated, answer -> {
            if (all[0] == null) {
                all[0] = answer.toBuilder();
            } else {
                all[0].mergeFrom(answer);
            }
        });
        FieldDescriptor nextField = all[0].getDescriptorForType().findFieldByName("next");
        if (nextField != null) {
            all[0].clearField(nextField);
        }
        @SuppressWarnings("unchecked")
        T whole = (T) all[0].build();
        return whole;
    }

    /**
     * Hands each page of the list to {@code each} as it arrives, in order, so that a reader of a
     * long list (the audit trail) holds one page at a time rather than the whole list.
     */
    public static <T extends Message, E extends Exception> void forEach(Page<T, E> page, Function<String, E> repeated,
            Each<T, E> each) throws E {
        String after = "";
        while (true) {
            T answer = page.after(after);
            FieldDescriptor nextField = answer.getDescriptorForType().findFieldByName("next");
            String next = nextField == null ? "" : (String) answer.getField(nextField);
            each.accept(answer);
            if (next.isEmpty()) {
                return;
            }
            if (next.equals(after)) {
                throw repeated.apply("returned the same page cursor twice");
            }
            after = next;
        }
    }
}
