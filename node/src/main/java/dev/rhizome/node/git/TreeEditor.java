package dev.rhizome.node.git;

import java.io.IOException;
import java.util.Map;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;

/** Builds a new tree from a base tree plus file changes, in memory: no index file, no working copy. */
final class TreeEditor {
    private TreeEditor() {
    }

    /** @param baseTree null for an empty start; a null value in {@code changes} deletes that path */
    static ObjectId apply(ObjectInserter inserter, ObjectReader reader, ObjectId baseTree,
                          Map<String, byte[]> changes) throws IOException {
        DirCache index = DirCache.newInCore();
        if (baseTree != null) {
            DirCacheBuilder builder = index.builder();
            builder.addTree(new byte[0], DirCacheEntry.STAGE_0, reader, baseTree);
            builder.finish();
        }
        DirCacheEditor editor = index.editor();
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            String path = GitPaths.requireSafe(change.getKey());
            if (change.getValue() == null) {
                editor.add(new DirCacheEditor.DeletePath(path));
            } else {
                ObjectId blob = inserter.insert(Constants.OBJ_BLOB, change.getValue());
                editor.add(new DirCacheEditor.PathEdit(path) {
                    @Override
                    public void apply(DirCacheEntry entry) {
                        // An edited script stays executable; anything new is a plain file.
                        if (entry.getFileMode() != FileMode.EXECUTABLE_FILE) {
                            entry.setFileMode(FileMode.REGULAR_FILE);
                        }
                        entry.setObjectId(blob);
                    }
                });
            }
        }
        editor.finish();
        return index.writeTree(inserter);
    }
}
