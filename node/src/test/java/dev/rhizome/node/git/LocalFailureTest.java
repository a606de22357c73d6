package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.TransportException;
import org.junit.jupiter.api.Test;

class LocalFailureTest {
    @Test
    void theDisksOwnErrorsAreLocalWhereverJGitWrapsThem() {
        assertThat(LocalFailure.in(new TransportException("bundle", new IOException("No space left on device")))).isTrue();
        assertThat(LocalFailure.in(new TransportException("bundle", new IOException("Disk quota exceeded")))).isTrue();
        assertThat(LocalFailure.in(new TransportException("bundle",
                new AccessDeniedException("/data/repo.git/objects/pack/incoming_1.pack")))).isTrue();
    }

    @Test
    void aBadBundleIsNotLocalEvenWhenItsTextNamesADiskError() {
        assertThat(LocalFailure.in(new TransportException("bundle", new CorruptObjectException("bad tree")))).isFalse();
        assertThat(LocalFailure.in(new TransportException("bundle", new IOException("Packfile is truncated.")))).isFalse();
        // the sender chooses ref names, and JGit quotes them
        assertThat(LocalFailure.in(new TransportException("cannot resolve refs/heads/No space left on device"))).isFalse();
        assertThat(LocalFailure.in(new TransportException("bundle",
                new IOException("Missing refs/heads/No space left on device")))).isFalse();
    }
}
