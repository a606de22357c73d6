package dev.rhizome.protocol.seed;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.ProtectedRegion;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/** Reads and checks a seed's manifest, {@value #FILE_NAME} at the root of the seed. */
public final class Manifests {
    public static final String FILE_NAME = "rhizome.json";
    public static final int DEFAULT_ADOPTION_SEEDS = 3;
    public static final int MAX_ADOPTION_SEEDS = 16;
    public static final double DEFAULT_SIGNIFICANCE = 2.0;

    private Manifests() {
    }

    public static Manifest parse(String json) throws ManifestException {
        Manifest manifest;
        try {
            manifest = Json.parse(json, Manifest.newBuilder()).build();
        } catch (InvalidProtocolBufferException e) {
            throw new ManifestException(FILE_NAME + " is not a valid manifest: " + e.getMessage(), e);
        }
        validate(manifest);
        return manifest;
    }

    /** Uint32 fields are read unsigned and bounded, so no arithmetic on them can wrap. */
    public static final long MAX_TIMEOUT_SECONDS = 7L * 24 * 3600;
    public static final int MAX_QUORUM = 64;

    /** Checks everything a node relies on before it runs the seed; names every problem found. */

    public static void validate(Manifest m) throws ManifestException {
        List<String> problems = new ArrayList<>();
        if (m.getName().isBlank()) {
            problems.add("name is missing");
        }
        if (harnessed(m)) {
            checkHarness(m, problems);
        } else if (m.getServeCommandCount() > 0 || m.getHarnessCommandCount() > 0 || m.getPrepareCommandCount() > 0) {
            problems.add("train_command is missing: serve_command, harness_command and prepare_command need it");
        } else if (m.getCommandCount() == 0) {
            problems.add("command is missing (or train_command, serve_command and harness_command)");
        }
        if (m.getBudget().getKindCase() == Budget.KindCase.KIND_NOT_SET) {
            problems.add("budget needs wall_seconds or steps");
        } else if (m.getBudget().getKindCase() == Budget.KindCase.WALL_SECONDS && m.getBudget().getWallSeconds() == 0
                || m.getBudget().getKindCase() == Budget.KindCase.STEPS && m.getBudget().getSteps() == 0) {
            problems.add("budget must be positive");
        }
        if (!m.hasMetric() || m.getMetric().getName().isBlank()) {
            problems.add("metric.name is missing");
        } else if (!m.getMetric().getName().matches("[A-Za-z_][A-Za-z0-9_.]*")) {
            problems.add("metric.name must be an identifier: " + LogSafe.of(m.getMetric().getName(), 60));
        }
        // NaN passed "< 0", and an infinite tolerance made every pair of replicas agree
        if (!(m.getMetric().getTolerance() >= 0) || Double.isInfinite(m.getMetric().getTolerance())) {
            problems.add("metric.tolerance must be a finite number, not negative, got " + m.getMetric().getTolerance());
        }
        checkMetricRange(m.getMetric(), problems);
        if (m.getTimeoutSeconds() == 0) {
            problems.add("timeout_seconds is missing");
        } else if (Integer.toUnsignedLong(m.getTimeoutSeconds()) > MAX_TIMEOUT_SECONDS) {
            problems.add("timeout_seconds must be at most " + MAX_TIMEOUT_SECONDS + " (7 days), got "
                    + Integer.toUnsignedString(m.getTimeoutSeconds()));
        }
        if (Integer.toUnsignedLong(m.getQuorum()) > MAX_QUORUM) {
            problems.add("quorum must be at most " + MAX_QUORUM + ", got " + Integer.toUnsignedString(m.getQuorum()));
        }
        if (m.getEditableFilesCount() == 0) {
            problems.add("editable_files is empty: experiments could change nothing");
        }
        checkProtectedFiles(m, problems);
        for (Knob k : m.getKnobsList()) {
            if (k.getName().isBlank() || k.getFile().isBlank()) {
                problems.add("knob needs a name and a file, got name '" + LogSafe.of(k.getName(), 60) + "' and file '"
                        + LogSafe.of(k.getFile(), 60) + "'");
            } else if (!Double.isFinite(k.getMin()) || !Double.isFinite(k.getMax())) {
                problems.add("knob " + LogSafe.of(k.getName(), 60) + " needs finite min and max, got " + k.getMin() + " and "
                        + k.getMax());
            } else if (!(k.getMin() < k.getMax())) {
                problems.add("knob " + LogSafe.of(k.getName(), 60) + " needs min < max");
            } else if (k.getLogScale() && k.getMin() <= 0) {
                problems.add("knob " + LogSafe.of(k.getName(), 60) + " is log-scale but min is not positive");
            } else if (!m.getEditableFilesList().contains(k.getFile())) {
                problems.add("knob " + LogSafe.of(k.getName(), 60) + " is in " + LogSafe.of(k.getFile(), 60)
                        + ", which is not an editable file");
            }
        }
        for (ProtectedRegion r : m.getProtectedRegionsList()) {
            if (r.getFile().isBlank() || r.getBeginMarker().isBlank() || r.getEndMarker().isBlank()) {
                problems.add("protected region needs a file, a begin_marker and an end_marker, got file '"
                        + LogSafe.of(r.getFile(), 60) + "'");
            }
        }
        for (String id : m.getTrustedProposersList()) {
            try {
                PublicId.parse(id);
            } catch (IllegalArgumentException e) {
                problems.add("trusted_proposers: '" + LogSafe.of(id, 60) + "' is not a public id (64 hex digits)");
            }
        }
        // a uint32: read signed, 2^32 - 1 was -1 and passed, and a trial had no seeds at all
        if (Integer.toUnsignedLong(m.getAdoptionSeeds()) > MAX_ADOPTION_SEEDS) {
            problems.add("adoption_seeds must be at most " + MAX_ADOPTION_SEEDS + ", got "
                    + Integer.toUnsignedString(m.getAdoptionSeeds()));
        }
        if (Integer.toUnsignedLong(m.getConfirmationSeeds()) > MAX_ADOPTION_SEEDS) {
            problems.add("confirmation_seeds must be at most " + MAX_ADOPTION_SEEDS + ", got "
                    + Integer.toUnsignedString(m.getConfirmationSeeds()));
        }
        if (m.getSignificance() != 0 && !(m.getSignificance() > 1 && m.getSignificance() <= 10)) {
            // at k <= 1 a win on one seed alone would pass: with the other differences at zero, t is exactly 1
            problems.add("significance must be above 1 and at most 10 standard errors, got " + m.getSignificance());
        }
        if (!problems.isEmpty()) {
            throw new ManifestException("invalid " + FILE_NAME + ": " + String.join("; ", problems));
        }
    }

    /**
     * The plausible range results are held to ({@link MetricRange}): a NaN or infinite
     * bound, or one range with nothing in it, would refuse every honest result or none.
     */
    private static void checkMetricRange(MetricSpec metric, List<String> problems) {
        if (metric.hasMin() && !Double.isFinite(metric.getMin())) {
            problems.add("metric.min must be a finite number, got " + metric.getMin());
        }
        if (metric.hasMax() && !Double.isFinite(metric.getMax())) {
            problems.add("metric.max must be a finite number, got " + metric.getMax());
        }
        if (metric.hasMin() && metric.hasMax() && metric.getMin() > metric.getMax()) {
            problems.add("metric.min " + metric.getMin() + " is above metric.max " + metric.getMax());
        }
    }

    /**
     * Whether the metric comes from a protected harness (train, then serve to the harness) rather
     * than from the edited code's own output (the weak single-command mode).
     */
    public static boolean harnessed(Manifest m) {
        return m.getTrainCommandCount() > 0;
    }

    private static void checkHarness(Manifest m, List<String> problems) {
        if (m.getServeCommandCount() == 0) {
            problems.add("serve_command is missing: a harnessed seed needs train_command, serve_command and harness_command");
        }
        if (m.getHarnessCommandCount() == 0) {
            problems.add("harness_command is missing: a harnessed seed needs train_command, serve_command and harness_command");
        }
        if (m.getProtectedFilesCount() == 0) {
            problems.add("protected_files is empty: the harness and its data source must be protected");
        }
    }

    /**
     * Held for every seed, single-command ones too: a file both editable and protected invites an
     * edit that every node refuses, and a path spelled otherwise than git spells it protects nothing.
     */
    private static void checkProtectedFiles(Manifest m, List<String> problems) {
        for (String path : m.getProtectedFilesList()) {
            if (!isPlainRelativePath(path)) {
                problems.add("protected_files: not a plain relative path: " + path);
            } else if (m.getEditableFilesList().contains(path)) {
                problems.add("protected_files: " + path + " is also an editable file (list it in one of the two)");
            }
        }
    }

    /** "a/b.py", never "", "/a", "a/../b", "./a" or a backslash: the seed's own tree, spelled one way. */
    static boolean isPlainRelativePath(String path) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")) {
            return false;
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** Whether the seed's policy lets volunteers run commits proposed by this key. */
    public static boolean trusts(Manifest m, com.google.protobuf.ByteString proposer) {
        return m.getTrustedProposersCount() == 0
                || m.getTrustedProposersList().contains(PublicId.hex(proposer));
    }

    public static int quorum(Manifest m) {
        return Math.max(1, m.getQuorum());
    }

    /** Random seeds a candidate must beat the frontier on, paired seed by seed. */
    public static int adoptionSeeds(Manifest m) {
        return m.getAdoptionSeeds() == 0 ? DEFAULT_ADOPTION_SEEDS : m.getAdoptionSeeds();
    }

    /** Standard errors of the paired differences that the mean gain must exceed. */
    public static double significance(Manifest m) {
        return m.getSignificance() == 0 ? DEFAULT_SIGNIFICANCE : m.getSignificance();
    }

    /**
     * Fresh seeds a candidate that passed at the trial seeds must pass at again before adoption:
     * as many as the adoption seeds unless set (none when those are 1: that seed keeps the old
     * rule), 0 for none.
     */
    public static int confirmationSeeds(Manifest m) {
        if (m.hasConfirmationSeeds()) {
            return m.getConfirmationSeeds();
        }
        int seeds = adoptionSeeds(m);
        return seeds > 1 ? seeds : 0;
    }

    /** The random seeds of a seed's trials: its random_seed, then the next ones, one per adoption seed. */
    public static List<Long> trialSeeds(Manifest m) {
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < adoptionSeeds(m); i++) {
            seeds.add(m.getRandomSeed() + i);
        }
        return seeds;
    }

    public static String describe(Budget budget) {
        return switch (budget.getKindCase()) {
            case WALL_SECONDS -> Integer.toUnsignedString(budget.getWallSeconds()) + " s";
            case STEPS -> Long.toUnsignedString(budget.getSteps()) + " steps";
            case KIND_NOT_SET -> "no budget";
        };
    }
}
