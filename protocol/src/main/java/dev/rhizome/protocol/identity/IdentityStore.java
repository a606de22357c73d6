package dev.rhizome.protocol.identity;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
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
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return load(file);
        }
        createPrivateDirectory(dataDir);
        Identity identity = Identity.generate();
        byte[] line = (HexFormat.of().formatHex(identity.seed()) + "\n").getBytes(StandardCharsets.US_ASCII);
        Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE));
        Files.write(tmp, line, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            // A link rather than a rename: if two processes race on first use, one key wins and
            // both end up loading it.
            Files.createLink(file, tmp);
            // The link is an entry in the directory: until the directory is on disk a power loss
            // could leave a node that already signed with this key without it.
            DurableFiles.forceDirectory(dataDir);
        } catch (FileAlreadyExistsException raced) {
            // another process created it first; use theirs
        } finally {
            Files.deleteIfExists(tmp);
        }
        return load(file);
    }

    public static Identity load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            // a directory would otherwise be told to chmod 600, which fixes nothing
            throw new IOException("identity key " + file + " is not a regular file (it should hold one line of "
                    + "64 hex digits); move it away and a new identity is created, or restore the key that was there");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY_FILE.containsAll(perms)) {
            throw new IOException("refusing to use " + file + ": its permissions are "
                    + PosixFilePermissions.toString(perms) + ", expected rw------- (chmod 600 it)");
        }
        byte[] bytes = Files.readAllBytes(file);
        String hex = new String(bytes, StandardCharsets.ISO_8859_1).trim();
        if (!hex.matches("[0-9a-fA-F]{64}")) {
            // The parser's own words ("string length not even: 9") say nothing about what the file
            // should hold; a file of any other kind (another tool's key, a copy gone wrong) lands here.
            throw new IOException("identity key file " + file + " is malformed: it is not a rhizome identity key "
                    + "(one line of 64 hex digits, " + bytes.length + " bytes found); restore the key that was "
                    + "there, or move the file away and a new identity is created");
        }
        try {
            return Identity.fromSeed(HexFormat.of().parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IOException("identity key file " + file + " is malformed: " + e.getMessage(), e);
        }
    }

    static void createPrivateDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        }
    }
}
