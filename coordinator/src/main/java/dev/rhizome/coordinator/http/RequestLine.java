package dev.rhizome.coordinator.http;

import dev.rhizome.protocol.LogSafe;
import io.netty.buffer.ByteBuf;

/**
 * The shape of a request line, judged on its raw bytes before Netty's decoder reads it: exactly
 * {@code method SP request-target SP HTTP-version} (RFC 9112, 3), with nothing before the method
 * but the empty lines a client may send between requests (RFC 9112, 2.2). Netty reads the line on
 * any run of whitespace, skips whitespace and control characters before it and takes the version's
 * name in any case, so {@code GET\t/v1/bans\tHTTP/1.1}, {@code GET  /v1/stats HTTP/1.1}, a bare CR
 * or a vertical tab between the parts, a leading space and {@code http/1.1} were all served, where a
 * proxy in front that reads the grammar as written sees another target, or no request at all: the
 * same bytes read two ways (RFC 9112, 3: "lenient parsing can result in request smuggling"). Pure.
 */
final class RequestLine {
    /** How far a line is looked for: past it the decoder's own line limit (414) answers. */
    static final int MAX_SCAN = 8192;

    private RequestLine() {
    }

    /**
     * What is wrong with the request line starting at {@code from} (the start of a request), or
     * null when it is well formed or not yet whole (judged again when more bytes come).
     */
    static String problem(ByteBuf buffer, int from, int to) {
        int i = from;
        while (i < to && (buffer.getByte(i) == '\r' || buffer.getByte(i) == '\n')) {
            i++;  // empty lines before a request line are allowed, and skipped
        }
        if (i < to && !isToken(buffer.getByte(i))) {
            byte first = buffer.getByte(i);
            if (first == ' ' || first == '\t' || first < 0x20 || first == 0x7f) {
                return "the request line starts with " + named(first) + ": send the method first (RFC 9112, 3)";
            }
            return null;  // not a method character: the decoder names it
        }
        int end = -1;
        for (int k = i; k < Math.min(to, i + MAX_SCAN); k++) {
            if (buffer.getByte(k) == '\n') {
                end = k;
                break;
            }
        }
        if (end < 0) {
            return null;
        }
        if (end > i && buffer.getByte(end - 1) == '\r') {
            end--;
        }
        int spaces = 0;
        int lastSpace = -1;
        for (int k = i; k < end; k++) {
            byte b = buffer.getByte(k);
            if (b == ' ') {
                if (k > i && buffer.getByte(k - 1) == ' ') {
                    return "the request line has two spaces in a row: separate method, target and version "
                            + "with one space each (RFC 9112, 3)";
                }
                spaces++;
                lastSpace = k;
            } else if (b == '\t' || b == 0x0b || b == 0x0c || b == '\r') {
                return "the request line has " + named(b) + " in it: separate method, target and version "
                        + "with one space each (RFC 9112, 3)";
            }
        }
        if (spaces > 2) {
            // A target holds no space, and nothing follows the version. Netty 4.2 refuses these too,
            // as "Illegal character in request line: 0x20" or "invalid version format: X HTTP/1.1";
            // the rule is this server's, in words that say it, whatever the codec's version does.
            return "the request line has " + spaces + " spaces: method, target and version are separated by one "
                    + "space each, and nothing follows the version (RFC 9112, 3)";
        }
        if (spaces == 2 && end - lastSpace > 5 && isVersionNameInAnotherCase(buffer, lastSpace + 1)) {
            return "the protocol is named HTTP, in capitals (RFC 9112, 2.3)";
        }
        if (spaces == 2 && !isVersion(buffer, lastSpace + 1, end)) {
            // one digit each (Netty 4.2's words for "HTTP/1.01" were "invalid version format")
            StringBuilder version = new StringBuilder();
            for (int k = lastSpace + 1; k < end && version.length() < 20; k++) {
                version.append((char) (buffer.getByte(k) & 0xff));
            }
            return "the request line's version " + LogSafe.of(version.toString(), 20) + " is not HTTP/DIGIT.DIGIT "
                    + "(RFC 9112, 2.3)";
        }
        return null;
    }

    /** HTTP-version (RFC 9112, 2.3): "HTTP/" DIGIT "." DIGIT, from {@code at} to {@code end}. */
    private static boolean isVersion(ByteBuf buffer, int at, int end) {
        if (end - at != 8) {
            return false;
        }
        for (int k = 0; k < 8; k++) {
            byte b = buffer.getByte(at + k);
            boolean fits = switch (k) {
                case 5, 7 -> b >= '0' && b <= '9';
                case 6 -> b == '.';
                default -> b == "HTTP/".charAt(k);
            };
            if (!fits) {
                return false;
            }
        }
        return true;
    }

    private static boolean isVersionNameInAnotherCase(ByteBuf buffer, int at) {
        String name = "HTTP/";
        boolean differs = false;
        for (int k = 0; k < name.length(); k++) {
            char c = (char) (buffer.getByte(at + k) & 0xff);
            if (Character.toUpperCase(c) != name.charAt(k)) {
                return false;
            }
            differs |= c != name.charAt(k);
        }
        return differs;
    }

    /** A method's characters (RFC 9110, 5.6.2: tchar). */
    private static boolean isToken(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }

    private static String named(byte b) {
        return switch (b) {
            case ' ' -> "a space";
            case '\t' -> "a tab";
            case '\r' -> "a bare CR";
            case 0x0b -> "a vertical tab";
            case 0x0c -> "a form feed";
            default -> String.format("byte 0x%02x", b & 0xff);
        };
    }
}
