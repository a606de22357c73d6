package dev.rhizome.node.git;

import java.io.IOException;
import org.eclipse.jgit.errors.ConfigInvalidException;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * How JGit sees the host, for every repository this process opens.
 * <ul>
 * <li>No git binary: to locate the system-wide gitconfig JGit executes
 * {@code git config --system --show-origin --list}; the node wants neither the subprocess nor the
 * host's system settings, so that lookup answers with an empty configuration.</li>
 * <li>The user's configuration ({@code ~/.gitconfig}, {@code ~/.config/git/config}, JGit's own
 * {@code ~/.config/jgit/config}) is read once per process, as the git binary reads it once per
 * command. JGit otherwise checks all three files for changes on nearly every
 * {@code Repository.getConfig()}, four file system calls each time, dozens of times per fetch. It is
 * kept rather than emptied: a client command checks a volunteer's workspace with JGit's status,
 * which must honour their global ignore file as {@code git status} does.</li>
 * </ul>
 */
final class NoGitBinary {
    private NoGitBinary() {
    }

    static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof HostConfigReadOnce)) {
            SystemReader.setInstance(new HostConfigReadOnce(current));
        }
    }

    private static final class HostConfigReadOnce extends SystemReader.Delegate {
        private final Once user = new Once();
        private final Once system = new Once();
        private final Once jgit = new Once();

        HostConfigReadOnce(SystemReader delegate) {
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

        // Each loaded on first use by JGit's own code (which also loads the configs it rests on)
        // and then handed out as it is: the same object JGit would keep, only never re-checked.
        @Override
        public StoredConfig getUserConfig() throws IOException, ConfigInvalidException {
            return user.get(super::getUserConfig);
        }

        @Override
        public StoredConfig getSystemConfig() throws IOException, ConfigInvalidException {
            return system.get(super::getSystemConfig);
        }

        @Override
        public StoredConfig getJGitConfig() throws IOException, ConfigInvalidException {
            return jgit.get(super::getJGitConfig);
        }
    }

    @FunctionalInterface
    private interface Loader {
        StoredConfig load() throws IOException, ConfigInvalidException;
    }

    private static final class Once {
        private volatile StoredConfig value;

        StoredConfig get(Loader loader) throws IOException, ConfigInvalidException {
            StoredConfig c = value;
            if (c == null) {
                synchronized (this) {
                    if (value == null) {
                        value = loader.load();
                    }
                    c = value;
                }
            }
            return c;
        }
    }
}
