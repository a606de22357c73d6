package dev.rhizome.client.cli;

import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.net.BindException;
import java.net.ConnectException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;
import java.util.concurrent.ExecutionException;

/**
 * One readable line for an exception, for people and agents rather than for a debugger: Java's own
 * messages are often just a path ({@code NoSuchFileException: /x}) or carry the class name, which
 * says nothing to someone who did not write the code. The stack trace is kept for RHIZOME_DEBUG.
 */
public final class Problems {
    private Problems() {
    }

    public static String describe(Throwable e) {
        Throwable t = rootOfInterest(e);
        String file = t instanceof FileSystemException fse ? fse.getFile() : null;
        if (t instanceof NoSuchFileException) {
            return "no such file or directory: " + file;
        }
        if (t instanceof AccessDeniedException) {
            return "permission denied: " + file;
        }
        if (t instanceof NotDirectoryException) {
            return "not a directory: " + file;
        }
        if (t instanceof FileAlreadyExistsException) {
            return "already exists: " + file;
        }
        if (t instanceof DirectoryNotEmptyException) {
            return "directory not empty: " + file;
        }
        if (t instanceof FileSystemException fse) {
            String reason = fse.getReason();
            return (reason == null ? "file system error" : reason.toLowerCase(Locale.ROOT))
                    + (file == null ? "" : ": " + file);
        }
        if (t instanceof CharacterCodingException) {
            // MalformedInputException's own message is only "Input length = 1"
            return "not UTF-8 text (it holds a byte sequence that is not valid UTF-8)";
        }
        if (t instanceof BindException bind) {
            return bindFailure(bind);
        }
        if (t instanceof ConnectException) {
            return "connection refused";
        }
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        // "java.io.IOException: x" from a wrapped cause: the class name adds nothing, and a
        // library's multi-line advice (gson's troubleshooting link) is for its developers
        String first = message.lines().findFirst().orElse(message);
        return first.replaceAll("\\b(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", "");
    }

    /**
     * Why a listen failed, in words that lead to the fix: one exception class covers a port in use,
     * an address this machine does not have, and a port below 1024 without the privilege.
     */
    public static String bindFailure(BindException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (m.contains("assign requested address") || m.contains("not available")) {
            return "this machine has no such address (listen on one of its own, e.g. 127.0.0.1, or 0.0.0.0 for all)";
        }
        if (m.contains("permission denied") || m.contains("access denied")) {
            return "permission denied (ports below 1024 need privileges: pick one from 1024, or 0 for any free one)";
        }
        if (m.isEmpty() || m.contains("in use")) {
            return "address already in use (another process listens on that port; pick another, or 0 for any free one)";
        }
        return m;
    }

    /** The cause that says most: wrappers without a message of their own are skipped. */
    private static Throwable rootOfInterest(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t
                && (t instanceof ExecutionException
                        || t instanceof InvocationTargetException
                        || t instanceof UncheckedIOException
                        || t.getCause() instanceof FileSystemException
                        || t.getCause() instanceof BindException
                        || t.getMessage() == null
                        || t.getMessage().equals(String.valueOf(t.getCause())))) {
            t = t.getCause();
        }
        return t;
    }

    /** Whether stack traces were asked for (RHIZOME_DEBUG set to anything but empty or 0). */
    public static boolean debug() {
        String v = System.getenv("RHIZOME_DEBUG");
        return v != null && !v.isEmpty() && !v.equals("0");
    }
}
