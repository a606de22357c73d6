import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;

/**
 * tiny-lm: a character-level language model (embeddings of a context window, one tanh hidden
 * layer, softmax) trained with hand-written backprop and Adam, in plain Java, on text from a
 * synthetic source whose entropy rate is known exactly. Run it with {@code java Train.java}.
 *
 * <p>Budget and seed come from the node: RHIZOME_STEPS or RHIZOME_WALL_SECONDS, and
 * RHIZOME_RANDOM_SEED. Knobs come from config.properties in the working directory. The same
 * config, step budget and seed give the same val_bpb bit for bit: one thread, a fixed order of
 * operations, and StrictMath, whose results (unlike Math's) don't depend on the CPU, so replicas
 * on different machines can agree exactly.
 *
 * <p>{@code java Train.java --floor} prints only the entropy floor.
 */
public class Train {

    public static void main(String[] args) throws IOException {
        long start = processStartNanos();
        Source source = new Source();
        if (args.length == 1 && args[0].equals("--floor")) {
            System.out.println("entropy_floor: " + source.entropyRate());
            return;
        }
        Config config = Config.load(Path.of("config.properties"));
        Budget budget = Budget.fromEnv();
        long seed = envLong("RHIZOME_RANDOM_SEED", 42);

        int[] train = source.sample(Source.TRAIN_CHARS, Source.TRAIN_SEED);
        int[] val = source.sample(Source.MAX_CONTEXT + Source.VAL_CHARS, Source.VAL_SEED);
        Random random = new Random(seed);
        Model model = new Model(config, random);
        Adam adam = new Adam(model.params.length, config.learningRate);

        long trainStart = System.nanoTime();
        long steps = 0;
        double recentLoss = 0;
        int recentSteps = 0;
        int nextReport = 1;
        while (!budget.done(steps, trainStart)) {
            double loss = model.trainStep(train, config.batchSize, random);
            if (!Double.isFinite(loss)) {
                fail("loss is " + loss + " at step " + steps);
            }
            adam.step(model.params, model.grads);
            steps++;
            recentLoss += loss;
            recentSteps++;
            if (budget.progress(steps, trainStart) * 10 >= nextReport) {
                System.out.printf(Locale.ROOT, "step %d%s loss %.4f%n",
                        steps, budget.ofTotal(), recentLoss / recentSteps / LN2);
                recentLoss = 0;
                recentSteps = 0;
                nextReport = (int) (budget.progress(steps, trainStart) * 10) + 1;
            }
        }
        double trainingSeconds = (System.nanoTime() - trainStart) / 1e9;

        double valBpb = model.evaluate(val, Source.MAX_CONTEXT) / LN2;
        if (!Double.isFinite(valBpb)) {
            fail("validation loss is " + valBpb);
        }
        System.out.println("---");
        System.out.printf(Locale.ROOT, "val_bpb: %.6f%n", valBpb);
        System.out.printf(Locale.ROOT, "entropy_floor: %.6f%n", source.entropyRate());
        System.out.printf(Locale.ROOT, "training_seconds: %.1f%n", trainingSeconds);
        System.out.printf(Locale.ROOT, "total_seconds: %.1f%n", (System.nanoTime() - start) / 1e9);
        System.out.printf(Locale.ROOT, "num_steps: %d%n", steps);
        System.out.printf(Locale.ROOT, "num_params: %d%n", model.params.length);
    }

    static final double LN2 = StrictMath.log(2);

    /** The autoresearch convention for a diverged run: a FAIL metric and a non-zero exit. */
    static void fail(String why) {
        System.out.println(why);
        System.out.println("---");
        System.out.println("val_bpb: FAIL");
        System.exit(1);
    }

    /** Counts from JVM start, so total_seconds includes compiling this file. */
    static long processStartNanos() {
        return System.nanoTime() - ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000;
    }

    static long envLong(String name, long fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Long.parseUnsignedLong(value.trim());
    }

    // ---------------------------------------------------------------------------------------
    // The data source. FIXED BY THE SEED: the task, and its floor, are defined by these numbers.
    // An experiment that changes anything in Source no longer measures the same thing.
    // ---------------------------------------------------------------------------------------

    /**
     * An order-3 Markov chain over 8 characters. The next-character logits add up one table per
     * context position (the last character matters most, the third-last least) and a small
     * table for each full state, so a model needs all three characters of context, and a hidden
     * layer, to reach the floor.
     */
    static final class Source {
        static final String ALPHABET = " aeinost";
        static final int V = ALPHABET.length();
        static final int ORDER = 3;
        static final int STATES = V * V * V;
        static final long GENERATOR_SEED = 0x5EEDL;
        static final long TRAIN_SEED = 1;
        static final long VAL_SEED = 2;
        static final int TRAIN_CHARS = 1 << 18;
        static final int VAL_CHARS = 1 << 15;
        /** The longest context a model may use; validation scores the same positions for all. */
        static final int MAX_CONTEXT = 16;
        private static final double[] POSITION_WEIGHTS = {1.5, 1.0, 0.8}; // last, second-last, third-last
        private static final double STATE_WEIGHT = 0.7;

        /** next[s * V + x]: probability of character x after state s; s = c3*V*V + c2*V + c1, c1 the last. */
        final double[] next = new double[STATES * V];
        final double[] stationary;

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
                softmax(logits, 0, V, next, s * V);
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
        int[] sample(int length, long streamSeed) {
            Random r = new Random(GENERATOR_SEED * 31 + streamSeed);
            int state = draw(stationary, 0, STATES, r);
            int[] out = new int[length];
            for (int i = 0; i < length; i++) {
                int x = draw(next, state * V, V, r);
                out[i] = x;
                state = (state * V + x) % STATES;
            }
            return out;
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

    /** Numerically safe softmax of in[from, from+n) into out[to, to+n). */
    static void softmax(double[] in, int from, int n, double[] out, int to) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, in[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = StrictMath.exp(in[from + i] - max);
            out[to + i] = e;
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            out[to + i] /= sum;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Everything below is yours to change: the model, the optimiser, the training loop.
    // ---------------------------------------------------------------------------------------

    /** The knobs, from config.properties. */
    static final class Config {
        double learningRate;
        int hiddenWidth;
        int contextLength;
        int embedDim;
        int batchSize;

        static Config load(Path file) throws IOException {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            Config c = new Config();
            c.learningRate = number(p, "learning_rate");
            c.hiddenWidth = integer(p, "hidden_width");
            c.contextLength = integer(p, "context_length");
            c.embedDim = integer(p, "embed_dim");
            c.batchSize = integer(p, "batch_size");
            if (c.contextLength < 1 || c.contextLength > Source.MAX_CONTEXT) {
                throw new IllegalArgumentException("context_length must be 1.." + Source.MAX_CONTEXT);
            }
            if (c.hiddenWidth < 1 || c.embedDim < 1 || c.batchSize < 1 || !(c.learningRate > 0)) {
                throw new IllegalArgumentException("hidden_width, embed_dim, batch_size and learning_rate must be positive");
            }
            return c;
        }

        private static String value(Properties p, String key) {
            String v = p.getProperty(key);
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException("config.properties has no " + key);
            }
            return v.trim();
        }

        private static double number(Properties p, String key) {
            try {
                return Double.parseDouble(value(p, key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be a number: " + value(p, key));
            }
        }

        private static int integer(Properties p, String key) {
            try {
                return Integer.parseInt(value(p, key));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be an integer: " + value(p, key));
            }
        }
    }

    /** The step or wall-clock budget, and how far through it a run is. */
    record Budget(long steps, double wallSeconds) {
        /** The budget in rhizome.json, for runs by hand. */
        static final long DEFAULT_STEPS = 5000;

        static Budget fromEnv() {
            String wall = System.getenv("RHIZOME_WALL_SECONDS");
            if (System.getenv("RHIZOME_STEPS") == null && wall != null && !wall.isBlank()) {
                return new Budget(0, Double.parseDouble(wall.trim()));
            }
            return new Budget(envLong("RHIZOME_STEPS", DEFAULT_STEPS), 0);
        }

        boolean done(long step, long trainStart) {
            return progress(step, trainStart) >= 1;
        }

        double progress(long step, long trainStart) {
            return steps > 0 ? (double) step / steps : (System.nanoTime() - trainStart) / 1e9 / wallSeconds;
        }

        String ofTotal() {
            return steps > 0 ? "/" + steps : "";
        }
    }

    /**
     * Embeddings of the last contextLength characters, concatenated, into a tanh hidden layer and
     * a softmax over the alphabet. All weights live in one array so the optimiser is one loop.
     */
    static final class Model {
        final int v = Source.V;
        final int context;
        final int embed;
        final int hidden;
        final int in;
        final int embOff;
        final int w1Off;
        final int b1Off;
        final int w2Off;
        final int b2Off;
        final double[] params;
        final double[] grads;
        // Scratch for one example.
        private final double[] x0;
        private final double[] h;
        private final double[] logits;
        private final double[] probs;
        private final double[] dh;
        private final double[] dx0;

        Model(Config c, Random random) {
            context = c.contextLength;
            embed = c.embedDim;
            hidden = c.hiddenWidth;
            in = context * embed;
            embOff = 0;
            w1Off = embOff + v * embed;
            b1Off = w1Off + in * hidden;
            w2Off = b1Off + hidden;
            b2Off = w2Off + hidden * v;
            params = new double[b2Off + v];
            grads = new double[params.length];
            init(embOff, v * embed, 1.0, random);
            init(w1Off, in * hidden, 1.0 / StrictMath.sqrt(in), random);
            init(w2Off, hidden * v, 0.1 / StrictMath.sqrt(hidden), random);
            x0 = new double[in];
            h = new double[hidden];
            logits = new double[v];
            probs = new double[v];
            dh = new double[hidden];
            dx0 = new double[in];
        }

        private void init(int offset, int n, double scale, Random random) {
            for (int i = 0; i < n; i++) {
                params[offset + i] = random.nextGaussian() * scale;
            }
        }

        /** Mean cross-entropy (nats) of one random batch; leaves its gradient in grads. */
        double trainStep(int[] text, int batchSize, Random random) {
            Arrays.fill(grads, 0);
            double loss = 0;
            for (int b = 0; b < batchSize; b++) {
                int t = context + random.nextInt(text.length - context);
                loss += forward(text, t);
                backward(text, t, 1.0 / batchSize);
            }
            return loss / batchSize;
        }

        /** Mean cross-entropy (nats) of predicting text[t] for every t from firstPosition on. */
        double evaluate(int[] text, int firstPosition) {
            double loss = 0;
            for (int t = firstPosition; t < text.length; t++) {
                loss += forward(text, t);
            }
            return loss / (text.length - firstPosition);
        }

        /** Cross-entropy (nats) of predicting text[t] from the context before it. */
        private double forward(int[] text, int t) {
            for (int j = 0; j < context; j++) {
                System.arraycopy(params, embOff + text[t - context + j] * embed, x0, j * embed, embed);
            }
            for (int k = 0; k < hidden; k++) {
                h[k] = params[b1Off + k];
            }
            for (int i = 0; i < in; i++) {
                double xi = x0[i];
                int row = w1Off + i * hidden;
                for (int k = 0; k < hidden; k++) {
                    h[k] += xi * params[row + k];
                }
            }
            for (int k = 0; k < hidden; k++) {
                h[k] = StrictMath.tanh(h[k]);
            }
            for (int y = 0; y < v; y++) {
                logits[y] = params[b2Off + y];
            }
            for (int k = 0; k < hidden; k++) {
                double hk = h[k];
                int row = w2Off + k * v;
                for (int y = 0; y < v; y++) {
                    logits[y] += hk * params[row + y];
                }
            }
            softmax(logits, 0, v, probs, 0);
            return -StrictMath.log(probs[text[t]]);
        }

        /** Adds scale times the gradient of the last forward's loss to grads. */
        private void backward(int[] text, int t, double scale) {
            int target = text[t];
            for (int y = 0; y < v; y++) {
                double d = (probs[y] - (y == target ? 1 : 0)) * scale;
                logits[y] = d; // reused as dlogits
                grads[b2Off + y] += d;
            }
            for (int k = 0; k < hidden; k++) {
                int row = w2Off + k * v;
                double sum = 0;
                for (int y = 0; y < v; y++) {
                    grads[row + y] += h[k] * logits[y];
                    sum += params[row + y] * logits[y];
                }
                dh[k] = sum * (1 - h[k] * h[k]);
                grads[b1Off + k] += dh[k];
            }
            for (int i = 0; i < in; i++) {
                double xi = x0[i];
                int row = w1Off + i * hidden;
                double sum = 0;
                for (int k = 0; k < hidden; k++) {
                    grads[row + k] += xi * dh[k];
                    sum += params[row + k] * dh[k];
                }
                dx0[i] = sum;
            }
            for (int j = 0; j < context; j++) {
                int row = embOff + text[t - context + j] * embed;
                for (int e = 0; e < embed; e++) {
                    grads[row + e] += dx0[j * embed + e];
                }
            }
        }
    }

    /** Adam with the usual betas and bias correction. */
    static final class Adam {
        static final double BETA1 = 0.9;
        static final double BETA2 = 0.999;
        static final double EPS = 1e-8;
        final double lr;
        final double[] m;
        final double[] s;
        int t;

        Adam(int n, double lr) {
            this.lr = lr;
            m = new double[n];
            s = new double[n];
        }

        void step(double[] params, double[] grads) {
            t++;
            double c1 = 1 - StrictMath.pow(BETA1, t);
            double c2 = 1 - StrictMath.pow(BETA2, t);
            for (int i = 0; i < params.length; i++) {
                double g = grads[i];
                m[i] = BETA1 * m[i] + (1 - BETA1) * g;
                s[i] = BETA2 * s[i] + (1 - BETA2) * g * g;
                params[i] -= lr * (m[i] / c1) / (Math.sqrt(s[i] / c2) + EPS);
            }
        }
    }
}
