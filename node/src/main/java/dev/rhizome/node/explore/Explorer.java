package dev.rhizome.node.explore;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * The built-in proposer: for an EXPLORE unit, reads the knobs at the direction's frontier,
 * varies them around their current values and commits each variant on top of the frontier.
 * No LLM needed; an agent plugged in through the CLI does the same job with real edits.
 */
public final class Explorer {
    private static final int MAX_REMEMBERED = 10_000;
    private final NodeRepository repository;
    private final PersonIdent author;
    private final Random random;
    private final int proposalsPerUnit;
    /**
     * Settings already proposed, per parent commit, so one node doesn't propose the same thing
     * twice; the most recent ones only, so a node that runs for months doesn't grow without end.
     */
    private final Set<String> proposed = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_REMEMBERED;
        }
    });

    public Explorer(NodeRepository repository, PersonIdent author, Random random, int proposalsPerUnit) {
        this.repository = repository;
        this.author = author;
        this.random = random;
        this.proposalsPerUnit = proposalsPerUnit;
    }

    public record Proposal(String commit, String parent, String description) {
    }

    /** Commits up to {@code proposalsPerUnit} variants of the unit's frontier; the frontier must be held. */
    public List<Proposal> propose(WorkUnit unit) throws IOException {
        String parent = CommitId.require(unit.getCommit(), "frontier commit");
        List<Knob> knobs = unit.getManifest().getKnobsList().stream()
                .filter(k -> unit.getKnobsCount() == 0 || unit.getKnobsList().contains(k.getName()))
                .toList();
        if (knobs.isEmpty()) {
            return List.of();
        }
        Map<String, String> files = new TreeMap<>();
        Map<String, String> current = new LinkedHashMap<>();
        for (Knob k : knobs) {
            if (!files.containsKey(k.getFile())) {
                files.put(k.getFile(), readText(parent, k.getFile()));
            }
            current.put(k.getName(), PropertiesText.read(files.get(k.getFile())).get(k.getName()));
        }
        List<Proposal> out = new ArrayList<>();
        for (int attempt = 0; out.size() < proposalsPerUnit && attempt < proposalsPerUnit * 10; attempt++) {
            Map<String, String> changes = KnobMutator.propose(current, knobs, random);
            changes.entrySet().removeIf(e -> e.getValue().equals(current.get(e.getKey())));
            if (changes.isEmpty() || !proposed.add(parent + changes)) {
                continue;
            }
            out.add(commit(unit, parent, knobs, files, current, changes));
        }
        return out;
    }

    private Proposal commit(WorkUnit unit, String parent, List<Knob> knobs, Map<String, String> files,
            Map<String, String> current, Map<String, String> changes) throws IOException {
        Map<String, byte[]> edits = new TreeMap<>();
        for (Map.Entry<String, String> file : files.entrySet()) {
            Map<String, String> inFile = new LinkedHashMap<>();
            for (Knob k : knobs) {
                if (k.getFile().equals(file.getKey()) && changes.containsKey(k.getName())) {
                    inFile.put(k.getName(), changes.get(k.getName()));
                }
            }
            if (!inFile.isEmpty()) {
                edits.put(file.getKey(), PropertiesText.write(file.getValue(), inFile).getBytes(StandardCharsets.UTF_8));
            }
        }
        StringBuilder description = new StringBuilder();
        changes.forEach((k, v) -> description.append(description.length() == 0 ? "" : ", ")
                .append(k).append(' ').append(current.get(k)).append(" -> ").append(v));
        String message = "explore " + unit.getDirection() + ": " + description;
        String commit = repository.commitFiles(parent, edits, message, new PersonIdent(author, new Date()));
        return new Proposal(commit, parent, description.toString());
    }

    private String readText(String commit, String path) throws IOException {
        return repository.readFile(commit, path).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
    }
}
