package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of a directory a job writes, as the node lists them to measure what the job holds
 * ({@link WorkDirBudget}, {@link MemoryFiles}): never waiting, and never losing an entry by its name.
 * <ul>
 * <li>A plain {@code open} of a directory that the job swapped for a FIFO after the walk's
 * {@code lstat} waits for a writer for ever, and the job's time limit with it (measured on the same
 * thread). The directory is opened as {@code <dir>/.}, whose lookup needs a directory: anything else
 * there fails at once ({@code ENOTDIR}).</li>
 * <li>A name is bytes; Java's {@code String} names ({@code File.list}) decode them with the JVM's
 * file name encoding, and bytes that are not valid there (a name of {@code \xff}) came back as
 * U+FFFD, a name no file has: the walk took it for one deleted since, and a directory so named held
 * any amount unseen by the budget (under a C locale the same name threw, which stopped the measuring
 * itself). The entries are paths made from the bytes the kernel gave.</li>
 * </ul>
 */
final class JobTreeEntries {
    private JobTreeEntries() {
    }

    /**
     * The entries of {@code dir}, each {@code dir.resolve(name)}; null when it cannot be listed (gone,
     * not a directory, unreadable, or its path past the kernel's limit: the caller looks at why).
     */
    static List<Path> of(Path dir) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir.resolve("."))) {
            for (Path e : s) {
                entries.add(dir.resolve(e.getFileName()));
            }
        } catch (IOException | DirectoryIteratorException e) {
            return null;
        }
        return entries;
    }
}
