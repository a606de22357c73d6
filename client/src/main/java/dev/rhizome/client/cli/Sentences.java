package dev.rhizome.client.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Hint parts joined as sentences. Each part was written to stand first in a hint (lowercase, as a
 * hint after a message's parenthesis reads), so their plain concatenation read "...runs the node.
 * see `rhizome node --help`": a part that follows one ending a sentence starts with a capital here.
 */
public final class Sentences {
    private Sentences() {
    }

    /** The non-blank {@code parts}, stripped, joined by single spaces, each after a full stop or question capitalised. */
    public static String join(String... parts) {
        List<String> kept = new ArrayList<>();
        for (String part : parts) {
            String p = part == null ? "" : part.strip();
            if (p.isEmpty()) {
                continue;
            }
            if (!kept.isEmpty() && endsASentence(kept.get(kept.size() - 1))) {
                p = Character.toUpperCase(p.charAt(0)) + p.substring(1);
            }
            kept.add(p);
        }
        return String.join(" ", kept);
    }

    private static boolean endsASentence(String part) {
        char last = part.charAt(part.length() - 1);
        return last == '.' || last == '?' || last == '!';
    }
}
