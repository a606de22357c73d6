import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;

/**
 * tiny-lm's model: a character-level language model (embeddings of a context window, one tanh
 * hidden layer, softmax) trained with hand-written backprop and Adam, in plain Java. This whole
 * file is yours to change, as is config.properties.
 *
 * <pre>
 *   java Train.java           trains on data/train.tokens (written by java Harness.java prepare)
 *                             and saves the model in model.bin
 *   java Train.java --serve   loads model.bin and answers the harness (rhizome-eval/1) on stdin/stdout
 * </pre>
 *
 * <p>The metric is not computed here: the protected harness (Harness.java) asks the served model
 * for a distribution over each held-out character before it reveals it, and scores the answers
 * itself. In serve mode stdout belongs to the protocol; anything for humans goes to stderr.
 *
 * <p>Budget and seed come from the node: RHIZOME_STEPS or RHIZOME_WALL_SECONDS, and
 * RHIZOME_RANDOM_SEED. The same config, step budget and seed give the same val_bpb bit for bit:
 * one thread, a fixed order of operations, and StrictMath, whose results (unlike Math's) don't
 * depend on the CPU, so replicas on different machines can agree exactly.
 */
public class Train {
    static final double LN2 = StrictMath.log(2);
    static final Path DATA = Path.of("data", "train.tokens");
    static final Path META = Path.of("data", "meta.properties");
    static final Path MODEL = Path.of("model.bin");

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("--serve")) {
            serve();
        } else {
            train();
        }
    }

    static void train() throws IOException {
        long start = processStartNanos();
        Config config = Config.load(Path.of("config.properties"));
        Budget budget = Budget.fromEnv();
        long seed = envLong("RHIZOME_RANDOM_SEED", 42);
        int vocab = Integer.parseInt(properties(META).getProperty("vocab").trim());
        byte[] bytes = Files.readAllBytes(DATA);
        int[] train = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            train[i] = bytes[i] & 0xff;
        }
        Random random = new Random(seed);
        Model model = new Model(config, vocab, random);
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
        model.save(MODEL);
        System.out.println("---");
        System.out.printf(Locale.ROOT, "training_seconds: %.1f%n", trainingSeconds);
        System.out.printf(Locale.ROOT, "total_seconds: %.1f%n", (System.nanoTime() - start) / 1e9);
        System.out.printf(Locale.ROOT, "num_steps: %d%n", steps);
        System.out.printf(Locale.ROOT, "num_params: %d%n", model.params.length);
    }

    /**
     * Answers the harness: after each line of tokens (the next character of every held-out
     * stream), the log-probabilities of the character after it, per stream, as little-endian
     * float32. Characters before a stream's start count as character 0.
     */
    static void serve() throws IOException {
        Model model = Model.load(MODEL);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        String header = in.readLine();
        if (header == null || !header.startsWith("rhizome-eval/1 ")) {
            throw new IOException("not a rhizome-eval/1 header: " + header);
        }
        int streams = Integer.parseInt(field(header, "streams"));
        int vocab = Integer.parseInt(field(header, "vocab"));
        if (vocab != model.v) {
            throw new IOException("the harness has " + vocab + " characters, the model " + model.v);
        }
        int[][] history = new int[streams][model.context];
        ByteBuffer frame = ByteBuffer.allocate(streams * vocab * 4).order(ByteOrder.LITTLE_ENDIAN);
        String line;
        while ((line = in.readLine()) != null) {
            String[] tokens = line.trim().split(" ");
            frame.clear();
            for (int i = 0; i < streams; i++) {
                int[] h = history[i];
                System.arraycopy(h, 1, h, 0, h.length - 1);
                h[h.length - 1] = Integer.parseInt(tokens[i]);
                double[] probs = model.predict(h);
                for (double p : probs) {
                    frame.putFloat((float) StrictMath.log(p));
                }
            }
            out.write(frame.array());
            out.flush();
        }
    }

    private static String field(String header, String key) throws IOException {
        for (String part : header.split(" ")) {
            if (part.startsWith(key + "=")) {
                return part.substring(key.length() + 1);
            }
        }
        throw new IOException("header has no " + key + ": " + header);
    }

    static Properties properties(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

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

    static final int MAX_CONTEXT = 16;

    /** The knobs, from config.properties. */
    static final class Config {
        double learningRate;
        int hiddenWidth;
        int contextLength;
        int embedDim;
        int batchSize;

        static Config load(Path file) throws IOException {
            Properties p = properties(file);
            Config c = new Config();
            c.learningRate = number(p, "learning_rate");
            c.hiddenWidth = integer(p, "hidden_width");
            c.contextLength = integer(p, "context_length");
            c.embedDim = integer(p, "embed_dim");
            c.batchSize = integer(p, "batch_size");
            if (c.contextLength < 1 || c.contextLength > MAX_CONTEXT) {
                throw new IllegalArgumentException("context_length must be 1.." + MAX_CONTEXT);
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
        final int v;
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

        Model(Config c, int vocab, Random random) {
            this(vocab, c.contextLength, c.embedDim, c.hiddenWidth);
            init(embOff, v * embed, 1.0, random);
            init(w1Off, in * hidden, 1.0 / StrictMath.sqrt(in), random);
            init(w2Off, hidden * v, 0.1 / StrictMath.sqrt(hidden), random);
        }

        private Model(int vocab, int contextLength, int embedDim, int hiddenWidth) {
            v = vocab;
            context = contextLength;
            embed = embedDim;
            hidden = hiddenWidth;
            in = context * embed;
            embOff = 0;
            w1Off = embOff + v * embed;
            b1Off = w1Off + in * hidden;
            w2Off = b1Off + hidden;
            b2Off = w2Off + hidden * v;
            params = new double[b2Off + v];
            grads = new double[params.length];
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

        /** The shape and every weight, bit for bit. */
        void save(Path file) throws IOException {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
                out.writeInt(v);
                out.writeInt(context);
                out.writeInt(embed);
                out.writeInt(hidden);
                for (double p : params) {
                    out.writeDouble(p);
                }
            }
        }

        static Model load(Path file) throws IOException {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
                Model m = new Model(in.readInt(), in.readInt(), in.readInt(), in.readInt());
                for (int i = 0; i < m.params.length; i++) {
                    m.params[i] = in.readDouble();
                }
                return m;
            }
        }

        /** The distribution of the next character after the last contextLength of these (the newest last). */
        double[] predict(int[] recent) {
            int[] text = new int[context + 1];
            System.arraycopy(recent, recent.length - context, text, 0, context);
            forward(text, context);
            return probs.clone();
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
