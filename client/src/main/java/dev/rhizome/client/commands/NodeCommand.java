package dev.rhizome.client.commands;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.CoordinatorOption;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true, subcommands = NodeDoctorCommand.class,
        description = {"Run a volunteer node: claims work, fetches bundles from peers, runs jobs, reports signed results,",
            "and serves the bundles it holds to other nodes. Stops on SIGTERM or Ctrl-C; unsent results are kept.",
            "Every job runs in a bubblewrap sandbox; a machine that can't build one is refused (see `rhizome node doctor`)."})
public final class NodeCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    @Mixin
    CoordinatorOption coordinator;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the peer server binds and announces (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--peer-port", defaultValue = "0", description = "Peer server port, 0 for any free one (default).")
    int peerPort;

    @Option(names = "--explore", description = "Also propose experiments with the built-in explorer.")
    boolean explore;

    @Option(names = "--direction", description = "Only work on this direction.")
    String direction;

    @Option(names = "--max-units", defaultValue = "0", description = "Stop after this many work units (0: run until stopped).")
    int maxUnits;

    @Option(names = "--no-sandbox", description = {"Run jobs as plain processes of this user, without the sandbox. DANGEROUS:",
        "a job can then read this node's key and your files, use the network, and leave processes behind."})
    boolean noSandbox;

    static final String NO_SANDBOX_WARNING = """
            WARNING: --no-sandbox: jobs will run as plain processes of this user. Code written by strangers will be able to
              - read this node's private key (identity.key) and sign results in its name,
              - read and change every file this user can, including your home directory,
              - use the network, and see every process on this machine with its command line,
              - exhaust memory and processes, and leave processes running after the job ends.
            Use it only on a throwaway machine, or with seeds and proposers you trust completely.""";

    @Override
    public Integer call() throws Exception {
        if (peerPort < 0 || peerPort > 65535) {
            throw new CommandException(ExitCodes.USAGE, "--peer-port must be 0..65535, got " + peerPort);
        }
        NodeConfig config = NodeConfig.defaults(dataDir.path(), coordinator.url())
                .withPeerAddress(host, peerPort)
                .withExplore(explore)
                .withDirection(direction)
                .withMaxUnits(Math.max(0, maxUnits));
        ProcessLauncher launcher;
        if (noSandbox) {
            System.err.println(NO_SANDBOX_WARNING);
            launcher = new PlainLauncher();
        } else {
            try {
                BwrapLauncher sandbox = SandboxProbe.launcher();
                System.err.println("jobs run sandboxed: " + sandbox.plan().summary());
                launcher = sandbox;
            } catch (SandboxUnavailableException e) {
                throw new CommandException(ExitCodes.FAILED, e.getMessage());
            }
        }
        NodeDaemon daemon;
        try {
            daemon = NodeDaemon.start(config, launcher);
        } catch (IllegalArgumentException e) {
            throw new CommandException(ExitCodes.USAGE, e.getMessage());
        }
        Thread hook = new Thread(() -> {
            try {
                daemon.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "node-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        daemon.join();
        try {
            // The loop ended by itself (--max-units): close here rather than at exit.
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return ExitCodes.OK; // SIGTERM or Ctrl-C: the hook is closing the node
        }
        daemon.close();
        return ExitCodes.OK;
    }
}
