package dev.rhizome.node.git;

import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Stops JGit from running the git binary. To locate the system-wide gitconfig JGit executes
 * {@code git config --system --show-origin --list}; the node wants neither the subprocess nor the
 * host's system settings, so that lookup answers with an empty configuration. User config stays.
 */
final class NoGitBinary {
    private NoGitBinary() {
    }

    static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof WithoutSystemConfig)) {
            SystemReader.setInstance(new WithoutSystemConfig(current));
        }
    }

    private static final class WithoutSystemConfig extends SystemReader.Delegate {
        WithoutSystemConfig(SystemReader delegate) {
            super(delegate);
        }

        @Override
        public FileBasedConfig openSystemConfig(Config parent, FS fs) {
            return new FileBasedConfig(parent, null, fs) {
                @Override
                public void load() {
                }

                @Override
                public boolean isOutdated() {
                    return false;
                }
            };
        }
    }
}
