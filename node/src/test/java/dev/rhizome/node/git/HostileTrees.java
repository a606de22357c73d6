package dev.rhizome.node.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * Objects a rogue writes into its own repository with JGit's inserter, which checks nothing: trees
 * of any names and modes (in git's order, so that the name is what an importer judges), commits of
 * any parents and message.
 */
public final class HostileTrees {
    private static final PersonIdent ROGUE = new PersonIdent("Rogue", "rogue@example.org");

    private HostileTrees() {
    }

    /** One entry's raw bytes: mode, name, id. */
    public record Entry(FileMode mode, byte[] name, ObjectId id) {
        public static Entry file(String name, ObjectId id) {
            return new Entry(FileMode.REGULAR_FILE, bytes(name), id);
        }
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static ObjectId blob(NodeRepository repo, String content) throws IOException {
        return insert(repo, Constants.OBJ_BLOB, bytes(content));
    }

    /** A tree of {@code entries} in git's order (a tree's name as if it ended in '/'). */
    public static ObjectId tree(NodeRepository repo, List<Entry> entries) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> Arrays.compareUnsigned(sortKey(a), sortKey(b)));
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (Entry e : sorted) {
            e.mode().copyTo(raw);
            raw.write(' ');
            raw.writeBytes(e.name());
            raw.write(0);
            e.id().copyRawTo(raw);
        }
        return insert(repo, Constants.OBJ_TREE, raw.toByteArray());
    }

    /** A commit of {@code tree}; not given a ref, so bundle it with {@link PaddedBundles}. */
    public static String commit(NodeRepository repo, ObjectId tree, List<ObjectId> parents, String message) throws IOException {
        CommitBuilder commit = new CommitBuilder();
        commit.setTreeId(tree);
        commit.setParentIds(parents);
        commit.setAuthor(ROGUE);
        commit.setCommitter(ROGUE);
        commit.setMessage(message);
        try (ObjectInserter inserter = repo.repository().newObjectInserter()) {
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id.name();
        }
    }

    private static byte[] sortKey(Entry e) {
        byte[] key = Arrays.copyOf(e.name(), e.name().length + 1);
        key[e.name().length] = (byte) (e.mode() == FileMode.TREE ? '/' : 0);
        return key;
    }

    private static ObjectId insert(NodeRepository repo, int type, byte[] data) throws IOException {
        try (ObjectInserter inserter = repo.repository().newObjectInserter()) {
            ObjectId id = inserter.insert(type, data);
            inserter.flush();
            return id;
        }
    }
}
