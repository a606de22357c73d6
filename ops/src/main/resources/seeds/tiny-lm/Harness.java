import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * tiny-lm's protected harness and data source. PROTECTED BY THE SEED: a commit that changes this
 * file is refused by every node, and nodes run the seed's own copy of it whatever a commit holds.
 *
 * <pre>
 *   java Harness.java prepare    writes the training data, data/train.tokens and data/meta.properties
 *   java Harness.java evaluate   questions a model in serve mode over stdin/stdout (rhizome-eval/1)
 *                                and writes the metric into $RHIZOME_RESULT_FILE
 *   java Harness.java run        what a node does, by hand: prepare, train, evaluate; prints the result
 *   java Harness.java --floor    prints the entropy floor only
 * </pre>
 *
 * <p>The protocol, rhizome-eval/1 (docs/architecture.md): the harness sends one header line
 * {@code rhizome-eval/1 vocab=V streams=B length=T}, then T rounds. In round t it sends one line
 * of B token ids, token t of each held-out stream; the model answers with B*V little-endian
 * float32, for each stream the log-probabilities (any scores: the harness normalises them) of
 * token t+1. A token is revealed only after the model has committed to its distribution, so the
 * model can't look ahead. After the T-th answer the harness closes the model's input, scores, and
 * writes its result. The model's own output never reaches the node as a metric.
 */
public class Harness {
    static final double LN2 = StrictMath.log(2);
    /** The seed's metric.max (rhizome.json). */
    static final double MAX_BPB = 64;
    /**
     * Held-out streams: 256 x 128 scored characters, the same for every run, so runs compare.
     * Many short streams mean few round trips (128) between harness and model.
     */
    static final int STREAMS = 256;
    static final int LENGTH = 128;
    static final long VAL_SEED = 2;
    /**
     * No model scores much better than the source's own probabilities on the same tokens; one
     * that does has seen the held-out streams (they follow from this public file), and gets no
     * metric.
     */
    static final double ORACLE_MARGIN_BITS = 0.02;

    public static void main(String[] args) throws Exception {
        String mode = args.length == 0 ? "evaluate" : args[0];
        switch (mode) {
            case "--floor" -> System.out.printf(Locale.ROOT, "entropy_floor: %.6f%n", new Source().entropyRate());
            case "prepare" -> prepare(Path.of("."));
            case "evaluate" -> evaluateForNode();
            case "run" -> runByHand();
            default -> {
                System.err.println("usage: java Harness.java [prepare|evaluate|run|--floor]");
                System.exit(2);
            }
        }
    }

    /** The training data: a stream from the source that the held-out streams are not part of. */
    static void prepare(Path dir) throws IOException {
        Source source = new Source();
        int[] train = source.sample(Source.TRAIN_CHARS, Source.TRAIN_SEED).tokens;
        byte[] bytes = new byte[train.length];
        for (int i = 0; i < train.length; i++) {
            bytes[i] = (byte) train[i];
        }
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.write(data.resolve("train.tokens"), bytes);
        Files.writeString(data.resolve("meta.properties"), "vocab=" + Source.V + "\nalphabet=" + Source.ALPHABET + "\n");
    }

    private static void evaluateForNode() throws IOException {
        String resultFile = System.getenv("RHIZOME_RESULT_FILE");
        // stdout goes to the model: written through a stream that reports a broken pipe (PrintStream hides it).
        OutputStream toModel = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        String result = evaluate(new BufferedInputStream(System.in, 1 << 16), toModel);
        System.err.print(result);
        if (resultFile != null) {
            Files.writeString(Path.of(resultFile), result);
        }
        System.exit(result.startsWith("error:") ? 1 : 0);
    }

    /** Prepare, train and evaluate as a node would, for a researcher at the keyboard. */
    private static void runByHand() throws Exception {
        prepare(Path.of("."));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process train = new ProcessBuilder(java, "Train.java").inheritIO().start();
        if (train.waitFor() != 0) {
            System.out.println("training failed (exit status " + train.exitValue() + ")");
            System.exit(1);
        }
        Process model = new ProcessBuilder(java, "Train.java", "--serve")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String result = evaluate(new BufferedInputStream(model.getInputStream()),
                new BufferedOutputStream(model.getOutputStream()));
        model.destroy();
        System.out.print(result);
        System.exit(result.startsWith("error:") ? 1 : 0);
    }

    /** Runs the protocol against one model; returns the result lines, or one {@code error:} line. */
    static String evaluate(InputStream fromModel, OutputStream toModel) throws IOException {
        long start = System.nanoTime();
        Source source = new Source();
        List<Source.Stream> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            streams.add(source.sample(LENGTH + 1, VAL_SEED * 1_000_003L + i));
        }
        DataInputStream in = new DataInputStream(fromModel);
        int v = Source.V;
        byte[] frame = new byte[STREAMS * v * 4];
        float[] scores = new float[v];
        double modelNats = 0;
        double oracleNats = 0;
        try {
            toModel.write(String.format(Locale.ROOT, "rhizome-eval/1 vocab=%d streams=%d length=%d%n", v, STREAMS,
                    LENGTH).getBytes(StandardCharsets.US_ASCII));
            StringBuilder line = new StringBuilder();
            for (int t = 0; t < LENGTH; t++) {
                line.setLength(0);
                for (int i = 0; i < STREAMS; i++) {
                    line.append(i == 0 ? "" : " ").append(streams.get(i).tokens[t]);
                }
                toModel.write(line.append('\n').toString().getBytes(StandardCharsets.US_ASCII));
                toModel.flush();
                try {
                    in.readFully(frame);
                } catch (EOFException e) {
                    return "error: the model stopped answering in round " + t + " of " + LENGTH + "\n";
                }
                ByteBuffer buffer = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < STREAMS; i++) {
                    for (int x = 0; x < v; x++) {
                        scores[x] = buffer.getFloat();
                        if (Float.isNaN(scores[x]) || scores[x] == Float.POSITIVE_INFINITY) {
                            return "error: the model sent " + scores[x] + " in round " + t + "\n";
                        }
                    }
                    Source.Stream s = streams.get(i);
                    modelNats += logSumExp(scores) - scores[s.tokens[t + 1]];
                    oracleNats += s.nats[t + 1];
                }
            }
        } catch (IOException e) {
            return "error: the model went away (" + e.getMessage() + ")\n";
        } finally {
            try {
                toModel.close();
            } catch (IOException ignored) {
                // the model is gone already
            }
        }
        int n = STREAMS * LENGTH;
        double valBpb = modelNats / n / LN2;
        double oracleBpb = oracleNats / n / LN2;
        if (!Double.isFinite(valBpb)) {
            return "error: the model gave probability zero to a token that came\n";
        }
        if (valBpb > MAX_BPB) {
            // rhizome.json's metric.max: the coordinator refuses a result above it, so a run this far
            // gone is reported as the failure it is rather than as a number nobody will take
            return String.format(Locale.ROOT, "error: val_bpb %.6f is above the seed's metric.max %.0f: the model "
                    + "is confidently wrong (diverged)%n", valBpb, MAX_BPB);
        }
        if (valBpb < oracleBpb - ORACLE_MARGIN_BITS) {
            return String.format(Locale.ROOT, "error: val_bpb %.6f is below the source's own %.6f on the same tokens: "
                    + "the model has seen the held-out streams%n", valBpb, oracleBpb);
        }
        return String.format(Locale.ROOT, "val_bpb: %.6f%nentropy_floor: %.6f%noracle_bpb: %.6f%neval_tokens: %d%n"
                + "eval_seconds: %.1f%n", valBpb, source.entropyRate(), oracleBpb, n, (System.nanoTime() - start) / 1e9);
    }

    /** ln of the sum of exp(scores), in double with StrictMath, so every machine gets the same bits. */
    static double logSumExp(float[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return Double.POSITIVE_INFINITY; // every token impossible: an infinite loss, whatever came
        }
        double sum = 0;
        for (float s : scores) {
            sum += StrictMath.exp(s - max);
        }
        return max + StrictMath.log(sum);
    }

    /**
     * The data source: an order-3 Markov chain over 8 characters. The next-character logits add up
     * one table per context position (the last character matters most, the third-last least) and
     * a small table for each full state, so a model needs all three characters of context, and a
     * hidden layer, to reach the floor. These numbers define the task and its floor.
     */
    static final class Source {
        static final String ALPHABET = " aeinost";
        static final int V = ALPHABET.length();
        static final int ORDER = 3;
        static final int STATES = V * V * V;
        static final long GENERATOR_SEED = 0x5EEDL;
        static final long TRAIN_SEED = 1;
        static final int TRAIN_CHARS = 1 << 18;
        private static final double[] POSITION_WEIGHTS = {1.5, 1.0, 0.8}; // last, second-last, third-last
        private static final double STATE_WEIGHT = 0.7;

        /** next[s * V + x]: probability of character x after state s; s = c3*V*V + c2*V + c1, c1 the last. */
        final double[] next = new double[STATES * V];
        final double[] stationary;

        /** Tokens and, for each, the nats the source itself assigns it (its true conditional probability). */
        record Stream(int[] tokens, double[] nats) {
        }

        Source() {
            Random r = new Random(GENERATOR_SEED);
            double[][][] positional = new double[ORDER][V][V];
            for (double[][] table : positional) {
                for (double[] row : table) {
                    fillGaussian(row, r);
                }
            }
            double[] logits = new double[V];
            double[] interaction = new double[V];
            for (int s = 0; s < STATES; s++) {
                fillGaussian(interaction, r);
                for (int x = 0; x < V; x++) {
                    double l = STATE_WEIGHT * interaction[x];
                    for (int back = 0; back < ORDER; back++) {
                        l += POSITION_WEIGHTS[back] * positional[back][charBack(s, back)][x];
                    }
                    logits[x] = l;
                }
                softmax(logits, next, s * V);
            }
            stationary = stationaryDistribution();
        }

        static int charBack(int state, int back) {
            int c = state;
            for (int i = 0; i < back; i++) {
                c /= V;
            }
            return c % V;
        }

        private static void fillGaussian(double[] row, Random r) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextGaussian();
            }
        }

        private static void softmax(double[] in, double[] out, int to) {
            double max = Double.NEGATIVE_INFINITY;
            for (double x : in) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (int i = 0; i < in.length; i++) {
                out[to + i] = StrictMath.exp(in[i] - max);
                sum += out[to + i];
            }
            for (int i = 0; i < in.length; i++) {
                out[to + i] /= sum;
            }
        }

        /** Power iteration from the uniform distribution; a fixed number of rounds keeps it exact and repeatable. */
        private double[] stationaryDistribution() {
            double[] pi = new double[STATES];
            Arrays.fill(pi, 1.0 / STATES);
            for (int round = 0; round < 5000; round++) {
                double[] nextPi = new double[STATES];
                for (int s = 0; s < STATES; s++) {
                    for (int x = 0; x < V; x++) {
                        nextPi[(s * V + x) % STATES] += pi[s] * next[s * V + x];
                    }
                }
                pi = nextPi;
            }
            return pi;
        }

        /** Bits per character of the best possible predictor: sum over states of pi(s) * H(next | s). */
        double entropyRate() {
            double h = 0;
            for (int s = 0; s < STATES; s++) {
                double hs = 0;
                for (int x = 0; x < V; x++) {
                    double p = next[s * V + x];
                    hs -= p * StrictMath.log(p);
                }
                h += stationary[s] * hs;
            }
            return h / LN2;
        }

        /** A stream started in a state drawn from the stationary distribution, so every position is typical. */
        Stream sample(int length, long streamSeed) {
            Random r = new Random(GENERATOR_SEED * 31 + streamSeed);
            int state = draw(stationary, 0, STATES, r);
            int[] out = new int[length];
            double[] nats = new double[length];
            for (int i = 0; i < length; i++) {
                int x = draw(next, state * V, V, r);
                out[i] = x;
                nats[i] = -StrictMath.log(next[state * V + x]);
                state = (state * V + x) % STATES;
            }
            return new Stream(out, nats);
        }

        private static int draw(double[] p, int offset, int n, Random r) {
            double u = r.nextDouble();
            double cumulative = 0;
            for (int i = 0; i < n - 1; i++) {
                cumulative += p[offset + i];
                if (u < cumulative) {
                    return i;
                }
            }
            return n - 1;
        }
    }
}
