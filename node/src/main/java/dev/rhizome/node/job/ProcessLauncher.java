package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.List;

/**
 * Starts one process of a job under a {@link Confinement}. The seam between what a job runs (a
 * seed's command, an evaluation harness and the model it questions) and how this node keeps it
 * away from everything else. Destroying the returned process must end everything it started.
 */
public interface ProcessLauncher {

    Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout, Redirect stderr)
            throws IOException;
}
