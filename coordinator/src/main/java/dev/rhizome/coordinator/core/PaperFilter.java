package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Paper;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which papers a listing keeps: those with every word of {@code search} in their title or body
 * (case-insensitive, as substrings) and, when {@code commit} is given, about that commit. Applied
 * by the coordinator while it walks the papers, so a page holds {@code limit} matches and its
 * {@code next} continues after the last paper looked at (`rhizome papers --search --after`); the
 * client had filtered each page after the fact, so a page showed fewer and matches depended on
 * the page size. No I/O.
 */
public record PaperFilter(List<String> words, String commit) {
    /** Longest {@code search} accepted, in characters: a query, not a document. */
    public static final int MAX_SEARCH_CHARS = 1000;
    public static final PaperFilter NONE = new PaperFilter(List.of(), "");

    /** From the query parameters {@code search} and {@code commit} (a full id), refusing bad ones with a 400. */
    public static PaperFilter of(String search, String commit) {
        if (search.length() > MAX_SEARCH_CHARS) {
            throw Rejection.badRequest("query parameter search is " + search.length() + " characters, more than "
                    + MAX_SEARCH_CHARS);
        }
        if (!commit.isEmpty()) {
            RequestRules.queryCommit("commit", commit);
        }
        return new PaperFilter(words(search), commit);
    }

    /** The words of a search, lower-cased, each once (a word twice asks nothing more); blanks between them do not count. */
    public static List<String> words(String search) {
        return Arrays.stream(search.toLowerCase(Locale.ROOT).split("\\s+")).filter(w -> !w.isEmpty()).distinct()
                .toList();
    }

    /**
     * What looking at a paper of {@code recordBytes} costs, in bytes compared: each word is looked for
     * through the whole text, once ({@link LiteralSearch}). A page's walk stops at a bound on this,
     * so that a search of many words over large papers costs no more than a few pages' reading.
     */
    public long work(int recordBytes) {
        return (long) recordBytes * Math.max(1, words.size());
    }

    /** Whether it keeps every paper (nothing to filter: the listing is read as before). */
    public boolean keepsAll() {
        return words.isEmpty() && commit.isEmpty();
    }

    public boolean keeps(Paper paper) {
        return hasWords(paper, words) && (commit.isEmpty() || paper.getCommitsList().contains(commit));
    }

    /** Whether the paper's title or body holds every one of {@code words} (lower-cased). */
    public static boolean hasWords(Paper paper, List<String> words) {
        if (words.isEmpty()) {
            return true;
        }
        String haystack = (paper.getTitle() + "\n" + paper.getBodyMarkdown()).toLowerCase(Locale.ROOT);
        return words.stream().allMatch(w -> LiteralSearch.contains(haystack, w));
    }
}
