package dev.rhizome.client.agent;

import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A paper as `submit --paper` and `publish --paper` send it: read within the size the coordinator
 * takes, cleaned of what it would refuse, titled. One place, so the two commands cannot drift on
 * what a paper may be.
 */
public final class PaperText {
    /** The --paper value that reads the paper from standard input. */
    public static final String STDIN = "-";

    private PaperText() {
    }

    /**
     * The paper in {@code file} ({@value #STDIN}: standard input), as UTF-8. The size is checked
     * first: reading a file of any size whole (a log or a disk image named by mistake) to refuse it
     * afterwards could exhaust the heap.
     */
    public static String read(Path file) throws IOException {
        byte[] bytes;
        if (file.toString().equals(STDIN)) {
            InputStream in = System.in;
            bytes = in.readNBytes(RequestRules.MAX_PAPER_BODY_BYTES + 1);
            if (bytes.length > RequestRules.MAX_PAPER_BODY_BYTES) {
                throw tooLarge("more than " + RequestRules.MAX_PAPER_BODY_BYTES);
            }
        } else {
            checkSize(Files.size(file));
            bytes = Files.readAllBytes(file);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CommandException(ExitCodes.USAGE, "bad_paper", "the paper " + (file.toString().equals(STDIN)
                    ? "on standard input" : file.toString()) + " is not UTF-8 text", "save it as UTF-8 markdown, then run the command again");
        }
    }

    /** A paper of this many bytes of UTF-8 would be refused: {@code paper_too_large}, before anything is read or sent. */
    public static void checkSize(long bytes) {
        if (bytes > RequestRules.MAX_PAPER_BODY_BYTES) {
            throw tooLarge(String.valueOf(bytes));
        }
    }

    private static CommandException tooLarge(String bytes) {
        return new CommandException(ExitCodes.USAGE, "paper_too_large", "the paper is " + bytes + " bytes; at most "
                + RequestRules.MAX_PAPER_BODY_BYTES + " are accepted",
                "shorten it (a paper says what was tried, what happened and what to try next), then run the command again");
    }

    /**
     * A paper the coordinator would refuse is refused here, before anything is registered: refused
     * after `submit` registered its experiment, it would leave the experiment without its paper and
     * the unit still leased.
     */
    static void check(String text) {
        if (text != null) {
            checkSize(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    /** A paper with nothing in it is {@code bad_paper}: `publish` has nothing to send (`submit` sends none). */
    public static void requireWritten(String text) {
        if (text.isBlank()) {
            throw new CommandException(ExitCodes.USAGE, "bad_paper", "the paper is empty",
                    "write what was tried, what happened and what to try next, then publish it", "--paper");
        }
    }

    /**
     * Text the coordinator takes: it refuses what is not printable (it reaches other people's
     * terminals), so escape sequences an agent copied from colored output are dropped and CRLF
     * becomes LF.
     */
    static String printable(String text) {
        return Printable.shown(Untrusted.clean(text, Integer.MAX_VALUE));
    }

    /** The title: {@code given}, else the paper's first heading, else {@code fallback}; at most 200 characters. */
    public static String title(String given, String markdown, String fallback) {
        if (given != null && !given.isBlank()) {
            return given.length() > 200 ? given.substring(0, 200) : given;
        }
        String t = markdown.lines().filter(l -> l.startsWith("#")).findFirst()
                .map(l -> l.replaceFirst("^#+\\s*", "").trim()).orElse(fallback);
        t = t.isBlank() ? "untitled" : t;
        return t.length() > 200 ? t.substring(0, 200) : t;
    }

    /** The paper to sign, about {@code commits} of {@code direction}. */
    static Paper paper(String direction, String title, String markdown, String fallbackTitle, List<String> commits,
            List<String> cites, ByteString author) {
        return Paper.newBuilder()
                .setDirection(direction)
                .setTitle(printable(title(title, markdown, fallbackTitle)))
                .setBodyMarkdown(printable(markdown))
                .addAllCommits(commits)
                .addAllCites(cites)
                .setAuthor(author)
                .setCreatedMs(System.currentTimeMillis())
                .build();
    }
}
