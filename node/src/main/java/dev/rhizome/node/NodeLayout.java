package dev.rhizome.node;

import java.nio.file.Path;

/** Where a node keeps things in its data directory; the CLI and the demo read the same paths. */
public record NodeLayout(Path dataDir) {
    /** Held by the running daemon (see {@link dev.rhizome.protocol.files.ProcessLock}). */
    public Path ownerLock() {
        return dataDir.resolve("node.lock");
    }

    public Path repository() {
        return dataDir.resolve("repo.git");
    }

    /**
     * Where nodes before the sandbox kept checkouts; nothing writes here now (checkouts live in
     * {@code job.JobDirs}, outside the data dir), but {@code DataJanitor} still empties it at start
     * so that an upgraded node does not keep an old crash's checkouts forever.
     */
    public Path work() {
        return dataDir.resolve("work");
    }

    /**
     * The key of this start's job directory ({@code job.JobDirs#prepareForNode}, new at each start):
     * only the node can tell its directories by it; checkouts named by the node's id told every job
     * which node ran it (in its {@code HOME} and {@code /proc/self/mountinfo}).
     */
    public Path jobsName() {
        return dataDir.resolve("jobs.name");
    }

    public Path logs() {
        return dataDir.resolve("logs");
    }

    public Path outbox() {
        return dataDir.resolve("outbox");
    }

    /** The coordinator's receipts for this node's results (work.ReceiptBook), beside the outbox. */
    public Path receipts() {
        return dataDir.resolve(dev.rhizome.node.work.ReceiptBook.DIR_NAME);
    }

    /** Append-only record of every bundle fetched from a peer. */
    public Path transfers() {
        return dataDir.resolve("transfers.jsonl");
    }

    /** Gossip peers this node has had links with, so it can rejoin while the coordinator is down. */
    public Path peers() {
        return dataDir.resolve("peers.bin");
    }

    /** Written while a node runs: its id and peer endpoint, for `rhizome submit` on the same data dir. */
    public Path endpointFile() {
        return dataDir.resolve("node.json");
    }

    /** The unit each slot claimed ahead of its running job, so a restart runs it. */
    public Path buffer() {
        return dataDir.resolve("buffer");
    }

    /** Units given back unrun that the coordinator has not heard of yet, sent again until it does (work.GiveBacks). */
    public Path giveBacks() {
        return dataDir.resolve("give-backs");
    }

    /** How long each seed's jobs took here lately (work.RuntimeEstimates), kept across restarts. */
    public Path runtimes() {
        return dataDir.resolve(dev.rhizome.node.work.RuntimeEstimates.FILE_NAME);
    }

    /** Claims sent and not yet answered, so a node killed before an answer sends the claim again at restart. */
    public Path claims() {
        return dataDir.resolve("claims");
    }

    /** The control socket of a running node, in a directory only the node's user may enter. */
    public Path controlSocket() {
        return dataDir.resolve("run").resolve("control.sock");
    }

    /**
     * Present while the volunteer has the node paused (`rhizome node pause`), so a restart starts
     * paused ({@link dev.rhizome.node.prefs.KeptPause}); `rhizome node resume` removes it.
     */
    public Path pauseFile() {
        return dataDir.resolve("paused.json");
    }

    /**
     * Held by the running node while it answers pause and resume, else by an offline `rhizome node
     * pause`/`resume` as it changes {@link #pauseFile} ({@link dev.rhizome.node.prefs.PauseLock}).
     */
    public Path pauseLock() {
        return dataDir.resolve("pause.lock");
    }

    /** The volunteer's preferences, one key per flag of `rhizome node`. */
    public Path preferences() {
        return dataDir.resolve("node.properties");
    }
}
