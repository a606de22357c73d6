package dev.rhizome.protocol.identity;

import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Set;

/**
 * Keeps an identity's private key in a data directory, as {@code identity.key}: one line of hex,
 * created on first use with owner-only permissions (0600, in a 0700 directory).
 */
public final class IdentityStore {
    public static final String FILE_NAME = "identity.key";
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private IdentityStore() {
    }

    /** Loads the identity in {@code dataDir}, creating it (and the directory) if there is none. */
    public static Identity loadOrCreate(Path dataDir) throws IOException {
        if (Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            // createDirectories would say only "already exists", which reads as no problem at all
            throw new IOException("the data directory " + dataDir + " is a file, not a directory "
                    + "(give a directory, new or holding identity.key)");
        }
        Path file = dataDir.resolve(FILE_NAME);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            removeLeftovers(dataDir);
            return load(file);
        }
        createPrivateDirectory(dataDir);
        Identity identity = Identity.generate();
        byte[] line = (HexFormat.of().formatHex(identity.seed()) + "\n").getBytes(StandardCharsets.US_ASCII);
        // A name of this process's own: with one shared name, a second process starting on the same
        // new directory deleted and recreated it while the first wrote it, and the first linked the
        // second's empty file into place, an identity.key no start could read again.
        Path tmp = Files.createTempFile(dataDir, TMP_PREFIX, TMP_SUFFIX, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        try {
            Files.write(tmp, line, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            CrashPoints.at(CrashPoints.KEY_WRITTEN);
            // A link rather than a rename: if two processes race on first use, one key wins and
            // both end up loading it.
            Files.createLink(file, tmp);
            // The link is an entry in the directory: until the directory is on disk a power loss
            // could leave a node that already signed with this key without it.
            DurableFiles.forceDirectory(dataDir);
            CrashPoints.at(CrashPoints.KEY_LINKED);
        } catch (FileAlreadyExistsException raced) {
            // another process created it first; use theirs
        } catch (NoSuchFileException raced) {
            // another process created it first and removed our temporary file as a leftover; use theirs
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw raced;
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        removeLeftovers(dataDir);  // a killed earlier attempt's, now that the key is there
        return load(file);
    }

    private static final String TMP_PREFIX = FILE_NAME + ".";
    private static final String TMP_SUFFIX = ".tmp";

    /**
     * The temporary copies of a key that a process killed while creating it left (before or after
     * linking it into place): once the key is there, each is either that key or one that lost,
     * and a private key is not left lying about. A process creating one now loses its copy and
     * loads the key that is there.
     */
    private static void removeLeftovers(Path dataDir) {
        try (DirectoryStream<Path> left = Files.newDirectoryStream(dataDir, FILE_NAME + "*" + TMP_SUFFIX)) {
            for (Path tmp : left) {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            // an unreadable directory fails the load itself, saying so
        }
    }

    /**
     * Loads a key file; a file that is there but cannot be used is {@link UnusableKey}, naming the
     * file, what is wrong and what to do (never replaced here: it may be the only copy of a key
     * with credit and reputation).
     */
    public static Identity load(Path file) throws IOException {
        String replace = "restore the key that was there, or move " + file + " away and a new identity is created";
        if (!Files.isRegularFile(file)) {
            // a directory would otherwise be told to chmod 600, which fixes nothing
            throw new UnusableKey(file, "it is not a regular file (it should hold one line of 64 hex digits)", replace);
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY_FILE.containsAll(perms)) {
            throw new UnusableKey(file, "its permissions are " + PosixFilePermissions.toString(perms)
                    + ", others may read the private key", "chmod 600 " + file + " if only you could have read it, "
                    + "otherwise move it away and a new identity is created");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (AccessDeniedException e) {
            throw new UnusableKey(file, "this user may not read it", "run as the user who owns it, or chown it to this user");
        }
        String hex = new String(bytes, StandardCharsets.ISO_8859_1).trim();
        if (!hex.matches("[0-9a-fA-F]{64}")) {
            // The parser's own words ("string length not even: 9") say nothing about what the file
            // should hold; a file of any other kind (another tool's key, a copy gone wrong) lands here.
            throw new UnusableKey(file, "it is malformed: not a rhizome identity key (one line of 64 hex digits; "
                    + bytes.length + " bytes found)", replace);
        }
        try {
            return Identity.fromSeed(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new UnusableKey(file, "it is malformed: " + e.getMessage(), replace);
        }
    }

    /** Makes {@code dir} (and its parents) readable by its owner only, when it is not there yet. */
    public static void createPrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        }
    }
}
