package dev.rhizome.coordinator.store;
public final class SqliteTransactionProf {
    public static void reset() { SqliteTransaction.PROF.clear(); }
    public static void dump(java.io.PrintStream out, int cycles) {
        SqliteTransaction.PROF.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(40)
            .forEach(e -> out.printf("%8.1f us/cycle %6.2f calls/cycle  %s%n", e.getValue()[1] / 1000.0 / cycles, (double) e.getValue()[0] / cycles, e.getKey().substring(0, Math.min(150, e.getKey().length()))));
    }
}
