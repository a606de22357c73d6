package dev.rhizome.node.git;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;

/**
 * An object inserter that notes the id of each object inserted through it, the writes themselves
 * left to JGit's: the loose objects' directories are forced once they are all written
 * ({@link RepoSync#looseWritten}), which JGit does not do.
 */
final class NotingInserter extends ObjectInserter.Filter {
    private final ObjectInserter delegate;
    private final List<ObjectId> inserted = new ArrayList<>();

    NotingInserter(ObjectInserter delegate) {
        this.delegate = delegate;
    }

    @Override
    protected ObjectInserter delegate() {
        return delegate;
    }

    @Override
    public ObjectId insert(int type, byte[] data) throws IOException {
        return noted(delegate.insert(type, data));
    }

    @Override
    public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
        return noted(delegate.insert(type, data, off, len));
    }

    @Override
    public ObjectId insert(int type, long length, InputStream in) throws IOException {
        return noted(delegate.insert(type, length, in));
    }

    /** The ids inserted so far (an object already held is among them: it is not written again). */
    List<ObjectId> inserted() {
        return List.copyOf(inserted);
    }

    private ObjectId noted(ObjectId id) {
        inserted.add(id.copy());
        return id;
    }
}
