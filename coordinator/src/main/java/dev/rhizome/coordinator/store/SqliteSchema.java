package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's tables, as numbered migrations for both stores. A database is brought up to
 * the newest version when it is opened; migrations already applied are never edited, only
 * appended to. They are written with SQLite's type names (INTEGER is 64 bits, REAL, BLOB,
 * AUTOINCREMENT keys) and {@link Dialect#translate} renders them for PostgreSQL.
 * Signed records live once, as envelope bytes; the other tables index them and hold the state
 * the coordinator derives (units, frontiers).
 */
final class SqliteSchema {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteSchema.class);
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE envelopes (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL, bytes BLOB NOT NULL, received_ms INTEGER NOT NULL)""",
            """
            CREATE TABLE seeds (name TEXT PRIMARY KEY, commit_id TEXT NOT NULL,
                envelope_seq INTEGER NOT NULL REFERENCES envelopes(seq))""",
            """
            CREATE TABLE directions (name TEXT PRIMARY KEY, seed TEXT NOT NULL, base_commit TEXT NOT NULL,
                envelope_seq INTEGER NOT NULL REFERENCES envelopes(seq), frontier_commit TEXT NOT NULL,
                frontier_metric REAL, frontier_class TEXT NOT NULL DEFAULT '', baseline_metric REAL)""",
            """
            CREATE TABLE experiments (commit_id TEXT PRIMARY KEY, seed TEXT NOT NULL, direction TEXT NOT NULL,
                envelope_seq INTEGER NOT NULL REFERENCES envelopes(seq))""",
            "CREATE INDEX experiments_by_direction ON experiments(direction, envelope_seq)",
            """
            CREATE TABLE results (envelope_seq INTEGER PRIMARY KEY REFERENCES envelopes(seq), unit_id TEXT NOT NULL,
                direction TEXT NOT NULL, commit_id TEXT NOT NULL, runner BLOB NOT NULL)""",
            "CREATE INDEX results_by_commit ON results(commit_id, runner)",
            "CREATE INDEX results_by_unit ON results(unit_id, runner)",
            "CREATE INDEX results_by_direction ON results(direction)",
            """
            CREATE TABLE units (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind INTEGER NOT NULL,
                seed TEXT NOT NULL, direction TEXT NOT NULL, commit_id TEXT NOT NULL, parent TEXT NOT NULL,
                proposer BLOB NOT NULL, state INTEGER NOT NULL, holder BLOB NOT NULL,
                lease_deadline_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, expired_leases INTEGER NOT NULL,
                created_ms INTEGER NOT NULL)""",
            "CREATE INDEX units_by_state ON units(state, kind, seq)",
            "CREATE INDEX units_by_commit ON units(commit_id, state)",
            "CREATE INDEX units_by_direction ON units(direction, kind, state)",
            """
            CREATE TABLE unit_leases (unit_id TEXT NOT NULL, holder BLOB NOT NULL, leased_ms INTEGER NOT NULL)""",
            "CREATE INDEX unit_leases_by_unit ON unit_leases(unit_id, holder)",
            """
            CREATE TABLE papers (envelope_seq INTEGER PRIMARY KEY REFERENCES envelopes(seq),
                direction TEXT NOT NULL)""",
            "CREATE INDEX papers_by_direction ON papers(direction, envelope_seq)",
            """
            CREATE TABLE nodes (node BLOB PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL,
                hardware_class TEXT NOT NULL, last_seen_ms INTEGER NOT NULL)""",
            """
            CREATE TABLE node_commits (commit_id TEXT NOT NULL, node BLOB NOT NULL,
                PRIMARY KEY (commit_id, node)) WITHOUT ROWID""",
            "CREATE INDEX node_commits_by_node ON node_commits(node)"),
            // Claim nonces, accepted once each; kept for the replay window so a replay is refused after a restart too.
            // Renewals are counted per lease, against the cap on renewals.
            List.of(
            """
            CREATE TABLE claim_nonces (node BLOB NOT NULL, nonce BLOB NOT NULL, time_ms INTEGER NOT NULL,
                PRIMARY KEY (node, nonce)) WITHOUT ROWID""",
            "CREATE INDEX claim_nonces_by_time ON claim_nonces(time_ms)",
            "ALTER TABLE unit_leases ADD COLUMN renewals INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX units_by_holder ON units(holder, state)"),
            // 3: trust (validation states, trials' random seeds, reputations, proposers, adoptions)
            List.of(
            "CREATE TABLE unit_seeds (unit_id TEXT PRIMARY KEY, random_seed BIGINT NOT NULL)",
            "CREATE TABLE result_states (envelope_id TEXT PRIMARY KEY, state INTEGER NOT NULL)",
            """
            CREATE TABLE reputation_trials (commit_id TEXT NOT NULL, random_seed BIGINT NOT NULL,
                hardware_class TEXT NOT NULL, runner BLOB NOT NULL,
                PRIMARY KEY (commit_id, random_seed, hardware_class))""",
            """
            CREATE TABLE reputations (runner BLOB PRIMARY KEY, valid_results INTEGER NOT NULL,
                invalid_results INTEGER NOT NULL, error_results INTEGER NOT NULL, consecutive_valid INTEGER NOT NULL,
                credit_ms BIGINT NOT NULL, daily_quota INTEGER NOT NULL)""",
            """
            CREATE TABLE proposer_records (proposer BLOB PRIMARY KEY, ok_results INTEGER NOT NULL,
                crash_results INTEGER NOT NULL, last_crash_ms BIGINT NOT NULL)""",
            """
            CREATE TABLE adoptions (direction TEXT NOT NULL, commit_id TEXT NOT NULL, adopted_ms BIGINT NOT NULL,
                audit_count BIGINT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (direction, commit_id))""",
            "CREATE INDEX unit_leases_by_holder ON unit_leases(holder, leased_ms)"),
            // 4: agents. Who claimed each EXPLORE unit (the built-in explorer or an agent) and what they meant to
            // try: for sharing exploration fairly and warning about near-duplicate hypotheses.
            List.of("""
            CREATE TABLE explore_claims (unit_id TEXT PRIMARY KEY, direction TEXT NOT NULL,
                builtin_explorer INTEGER NOT NULL, hypothesis TEXT NOT NULL, claimed_ms INTEGER NOT NULL)""",
            "CREATE INDEX explore_claims_by_direction ON explore_claims(direction, claimed_ms)"),
            // 5: experiments given up after their units failed too often (unfetchable commits).
            List.of("""
            CREATE TABLE abandoned_experiments (commit_id TEXT PRIMARY KEY, reason TEXT NOT NULL,
                abandoned_ms BIGINT NOT NULL)"""),
            // 6: operators close directions and ban keys.
            List.of(
            "CREATE TABLE direction_closures (direction TEXT PRIMARY KEY, reason TEXT NOT NULL, closed_ms BIGINT NOT NULL)",
            "CREATE TABLE key_bans (node BLOB PRIMARY KEY, reason TEXT NOT NULL, banned_ms BIGINT NOT NULL)"),
            // 7: leased units by deadline, for the expiry check every claim and sweep runs: a partial index
            // (state 2 is LEASED) holds only the few units leased now, so an empty answer is one seek.
            List.of("CREATE INDEX units_leased_by_deadline ON units(lease_deadline_ms) WHERE state = 2"),
            // 8: tables read and written by their key alone, every cycle, rebuilt WITHOUT ROWID (SQLite keeps
            // the row in its key's b-tree instead of in a rowid table plus a unique index on the key: one
            // b-tree to search and one page to dirty per write instead of two). Rows carried over; on
            // PostgreSQL, where the clause is dropped, this only rebuilds the same tables.
            List.of(
            "CREATE TABLE result_states_v8 (envelope_id TEXT PRIMARY KEY, state INTEGER NOT NULL) WITHOUT ROWID",
            "INSERT INTO result_states_v8 (envelope_id, state) SELECT envelope_id, state FROM result_states",
            "DROP TABLE result_states",
            "ALTER TABLE result_states_v8 RENAME TO result_states",
            "CREATE TABLE unit_seeds_v8 (unit_id TEXT PRIMARY KEY, random_seed BIGINT NOT NULL) WITHOUT ROWID",
            "INSERT INTO unit_seeds_v8 (unit_id, random_seed) SELECT unit_id, random_seed FROM unit_seeds",
            "DROP TABLE unit_seeds",
            "ALTER TABLE unit_seeds_v8 RENAME TO unit_seeds",
            """
            CREATE TABLE reputations_v8 (runner BLOB PRIMARY KEY, valid_results INTEGER NOT NULL,
                invalid_results INTEGER NOT NULL, error_results INTEGER NOT NULL, consecutive_valid INTEGER NOT NULL,
                credit_ms BIGINT NOT NULL, daily_quota INTEGER NOT NULL) WITHOUT ROWID""",
            """
            INSERT INTO reputations_v8 (runner, valid_results, invalid_results, error_results, consecutive_valid,
                credit_ms, daily_quota) SELECT runner, valid_results, invalid_results, error_results,
                consecutive_valid, credit_ms, daily_quota FROM reputations""",
            "DROP TABLE reputations",
            "ALTER TABLE reputations_v8 RENAME TO reputations"),
            // 9: indexes for the list routes' pages, read in key order after a cursor (WHERE filter = ? AND
            // key > ? ORDER BY key LIMIT ?). Every result writes its indexes on the hot path, so the new one
            // on results replaces the one it extends; a commit's results (a few replicas per seed) are
            // paged through results_by_commit and sorted, cheaper than a second index on every insert.
            List.of(
            "CREATE INDEX results_by_direction_seq ON results(direction, envelope_seq)",
            "DROP INDEX results_by_direction",
            "CREATE INDEX units_by_state_seq ON units(state, seq)",
            "CREATE INDEX seeds_by_seq ON seeds(envelope_seq)",
            "CREATE INDEX directions_by_seq ON directions(envelope_seq)",
            "CREATE INDEX experiments_by_seq ON experiments(envelope_seq)",
            "CREATE INDEX reputations_by_credit ON reputations(credit_ms, valid_results, runner)",
            "CREATE INDEX adoptions_in_order ON adoptions(audit_count, adopted_ms, direction, commit_id)"),
            // 10: results that came late (their unit had been re-leased to another key): kept, signed, but
            // never a replica of their trial.
            // Spot checks' replicas, reserved for keys the coordinator chose until a deadline.
            List.of("ALTER TABLE results ADD COLUMN late INTEGER NOT NULL DEFAULT 0",
            """
            CREATE TABLE unit_reservations (unit_id TEXT NOT NULL, node BLOB NOT NULL, until_ms BIGINT NOT NULL,
                PRIMARY KEY (unit_id, node)) WITHOUT ROWID"""),
            // 11: units by holder, on SQLite only. Every lease and every result moves a unit's entry in
            // this index (a random key: a page of its own dirtied and logged per move), and on SQLite
            // nothing reads it any more: the leases each key holds are kept in memory there
            // (OwnedReads.LeasedUnits), and the other reads of a holder's units go through
            // units_by_commit. PostgreSQL, shared by several coordinators, counts a key's leases
            // with it on every claim, so it keeps the index.
            List.of(Dialect.sqliteOnly("DROP INDEX units_by_holder")),
            // 12: the nonce of the claim that took a lease, so that a claim sent again after its
            // answer was lost (the coordinator killed between commit and reply) gets its unit back
            // instead of leaving it leased to a claimant that never learned of it.
            List.of("ALTER TABLE unit_leases ADD COLUMN claim_nonce BLOB"),
            // 13: what each key, address (scope 'address:...') and everyone ('all') added today, per
            // kind of record (core.WriteQuota); days before today are forgotten by the sweep.
            List.of("""
            CREATE TABLE write_counts (scope TEXT NOT NULL, kind TEXT NOT NULL, day_ms BIGINT NOT NULL,
                writes INTEGER NOT NULL, PRIMARY KEY (scope, kind, day_ms))""",
            "CREATE INDEX write_counts_by_day ON write_counts(day_ms)"),
            // 14: the signed time of the latest request each lease (its claim, then each renewal) and
            // each node (its announcement) acted on: a request signed no later changes nothing, so a
            // captured renewal or announcement replayed within the replay window has no second effect.
            List.of("ALTER TABLE unit_leases ADD COLUMN signed_ms INTEGER",
                    "ALTER TABLE nodes ADD COLUMN signed_ms INTEGER"),
            // 15: the network a lease was claimed from, with its unit's commit, so a claim can skip a
            // trial its network leased lately (core.ReplicaNetworks) by one index probe; the index holds only leases
            // with a network (none from loopback, so the demo and benchmarks write no entry). The
            // network of each node's latest announcement, so spot checks tell nodes apart by where
            // they are seen rather than by the host they name. Leases and nodes before this have none.
            List.of("ALTER TABLE unit_leases ADD COLUMN commit_id TEXT NOT NULL DEFAULT ''",
                    "ALTER TABLE unit_leases ADD COLUMN network TEXT NOT NULL DEFAULT ''",
                    "CREATE INDEX unit_leases_by_network ON unit_leases(commit_id, network, leased_ms) WHERE network <> ''",
                    "ALTER TABLE nodes ADD COLUMN network TEXT NOT NULL DEFAULT ''"),
            // 16: counts of rows that change anywhere in the history (StoreCounters), kept by the
            // database in the transaction of the write itself, so that reading one is a single
            // row however long the history, and no write path, present or added later, can
            // forget to keep it: envelopes (the audit count of every adoption), nodes ever
            // announced, leases ever expired (the sum of the units' expired_leases). Started
            // from the rows already there. Nothing deletes envelopes, nodes or units.
            List.of("CREATE TABLE store_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
                    "INSERT INTO store_counters (name, value) SELECT 'envelopes', COUNT(*) FROM envelopes",
                    "INSERT INTO store_counters (name, value) SELECT 'nodes', COUNT(*) FROM nodes",
                    "INSERT INTO store_counters (name, value) SELECT 'leases_expired', COALESCE(SUM(expired_leases), 0) "
                            + "FROM units",
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER envelopes_counted AFTER INSERT ON envelopes BEGIN
                        UPDATE store_counters SET value = value + 1 WHERE name = 'envelopes'; END"""),
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER nodes_counted AFTER INSERT ON nodes BEGIN
                        UPDATE store_counters SET value = value + 1 WHERE name = 'nodes'; END"""),
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER new_units_expired_leases_counted AFTER INSERT ON units
                        WHEN new.expired_leases <> 0 BEGIN
                        UPDATE store_counters SET value = value + new.expired_leases WHERE name = 'leases_expired'; END"""),
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER expired_leases_counted AFTER UPDATE OF expired_leases ON units
                        WHEN new.expired_leases <> old.expired_leases BEGIN
                        UPDATE store_counters SET value = value + new.expired_leases - old.expired_leases
                        WHERE name = 'leases_expired'; END"""),
                    // PostgreSQL runs a trigger's work as a function; the WHEN conditions are
                    // tested before it is called, so a unit update that leaves the count alone
                    // (every claim and result) calls nothing.
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION store_counters_add_one() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN UPDATE store_counters SET value = value + 1 WHERE name = TG_ARGV[0]; RETURN NULL; END $$"""),
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION store_counters_add_expired_leases() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_OP = 'UPDATE' THEN
                            UPDATE store_counters SET value = value + NEW.expired_leases - OLD.expired_leases
                            WHERE name = 'leases_expired';
                        ELSE
                            UPDATE store_counters SET value = value + NEW.expired_leases WHERE name = 'leases_expired';
                        END IF;
                        RETURN NULL;
                    END $$"""),
                    Dialect.postgresqlOnly("CREATE TRIGGER envelopes_counted AFTER INSERT ON envelopes FOR EACH ROW "
                            + "EXECUTE FUNCTION store_counters_add_one('envelopes')"),
                    Dialect.postgresqlOnly("CREATE TRIGGER nodes_counted AFTER INSERT ON nodes FOR EACH ROW "
                            + "EXECUTE FUNCTION store_counters_add_one('nodes')"),
                    Dialect.postgresqlOnly("CREATE TRIGGER new_units_expired_leases_counted AFTER INSERT ON units "
                            + "FOR EACH ROW WHEN (NEW.expired_leases <> 0) EXECUTE FUNCTION store_counters_add_expired_leases()"),
                    Dialect.postgresqlOnly("CREATE TRIGGER expired_leases_counted AFTER UPDATE OF expired_leases ON units "
                            + "FOR EACH ROW WHEN (NEW.expired_leases <> OLD.expired_leases) "
                            + "EXECUTE FUNCTION store_counters_add_expired_leases()")),
            // 17: the totals of the tables only ever added to (seeds, directions, papers, units) and
            // each direction's experiments and results, kept as migration 16's counts are, so that
            // a coordinator's first reading of them is a few rows too: it used to count the whole
            // history once per process (service.HistoryTally's running sums). Started from the rows
            // already there. Experiments and results are counted per direction only (one row per
            // write); their totals are the sums over the directions (StoreCounters.totals).
            List.of("INSERT INTO store_counters (name, value) SELECT 'seeds', COUNT(*) FROM seeds",
                    "INSERT INTO store_counters (name, value) SELECT 'directions', COUNT(*) FROM directions",
                    "INSERT INTO store_counters (name, value) SELECT 'papers', COUNT(*) FROM papers",
                    "INSERT INTO store_counters (name, value) SELECT 'units', COUNT(*) FROM units",
                    """
                    CREATE TABLE direction_counts (direction TEXT PRIMARY KEY, experiments INTEGER NOT NULL,
                        results INTEGER NOT NULL) WITHOUT ROWID""",
                    """
                    INSERT INTO direction_counts (direction, experiments, results)
                        SELECT direction, SUM(e), SUM(r) FROM (SELECT direction, 1 AS e, 0 AS r FROM experiments
                            UNION ALL SELECT direction, 0 AS e, 1 AS r FROM results) x GROUP BY direction""",
                    Dialect.sqliteOnly(addOneTrigger("seeds")),
                    Dialect.sqliteOnly(addOneTrigger("directions")),
                    Dialect.sqliteOnly(addOneTrigger("papers")),
                    Dialect.sqliteOnly(addOneTrigger("units")),
                    Dialect.sqliteOnly(directionCountTrigger("experiments")),
                    Dialect.sqliteOnly(directionCountTrigger("results")),
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION direction_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_ARGV[0] = 'experiments' THEN
                            INSERT INTO direction_counts (direction, experiments, results) VALUES (NEW.direction, 1, 0)
                            ON CONFLICT (direction) DO UPDATE SET experiments = direction_counts.experiments + 1;
                        ELSE
                            INSERT INTO direction_counts (direction, experiments, results) VALUES (NEW.direction, 0, 1)
                            ON CONFLICT (direction) DO UPDATE SET results = direction_counts.results + 1;
                        END IF;
                        RETURN NULL;
                    END $$"""),
                    Dialect.postgresqlOnly(addOneTriggerPostgresql("seeds")),
                    Dialect.postgresqlOnly(addOneTriggerPostgresql("directions")),
                    Dialect.postgresqlOnly(addOneTriggerPostgresql("papers")),
                    Dialect.postgresqlOnly(addOneTriggerPostgresql("units")),
                    Dialect.postgresqlOnly("CREATE TRIGGER experiments_counted AFTER INSERT ON experiments FOR EACH ROW "
                            + "EXECUTE FUNCTION direction_counts_add('experiments')"),
                    Dialect.postgresqlOnly("CREATE TRIGGER results_counted AFTER INSERT ON results FOR EACH ROW "
                            + "EXECUTE FUNCTION direction_counts_add('results')")),
            // 18: the results whose counting toward their commit's mean changed after they were
            // stored (found INVALID by their trial, or no longer INVALID), one row per change, so
            // that a direction's leaderboard is brought up to date by reading the results stored
            // and the changes noted since its last build (service.DirectionBoard) instead of the
            // direction's whole history. Written by a trigger on result_states (3 is
            // ResultVerdict.State.INVALID), only where a result crosses that line; every writer of
            // result_states holds PostgreSQL's writers' lock (results shared), and a view reads
            // with none in flight, so it never meets a key that commits after a larger one.
            List.of("CREATE TABLE result_count_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, envelope_id TEXT NOT NULL)",
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER result_found_invalid AFTER INSERT ON result_states WHEN new.state = 3 BEGIN
                        INSERT INTO result_count_changes (envelope_id) VALUES (new.envelope_id); END"""),
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER result_invalid_changed AFTER UPDATE OF state ON result_states
                        WHEN (new.state = 3) <> (old.state = 3) BEGIN
                        INSERT INTO result_count_changes (envelope_id) VALUES (new.envelope_id); END"""),
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION result_count_changes_note() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN INSERT INTO result_count_changes (envelope_id) VALUES (NEW.envelope_id); RETURN NULL; END $$"""),
                    Dialect.postgresqlOnly("CREATE TRIGGER result_found_invalid AFTER INSERT ON result_states FOR EACH ROW "
                            + "WHEN (NEW.state = 3) EXECUTE FUNCTION result_count_changes_note()"),
                    Dialect.postgresqlOnly("CREATE TRIGGER result_invalid_changed AFTER UPDATE OF state ON result_states "
                            + "FOR EACH ROW WHEN ((NEW.state = 3) <> (OLD.state = 3)) "
                            + "EXECUTE FUNCTION result_count_changes_note()")),
            // 19: whether a direction is closed, on the direction's row and in its index, so that the
            // dashboard reads the first open directions (and then the first closed ones) as one range
            // of an index each, where it read every direction and every closure at each build; and
            // the closures counted as the directions are (store_counters), so that how many are open
            // is two rows. Both kept by a trigger on direction_closures, started from the rows there.
            List.of("ALTER TABLE directions ADD COLUMN closed INTEGER NOT NULL DEFAULT 0",
                    "UPDATE directions SET closed = 1 WHERE name IN (SELECT direction FROM direction_closures)",
                    "CREATE INDEX directions_by_closed ON directions(closed, envelope_seq)",
                    "INSERT INTO store_counters (name, value) SELECT 'direction_closures', COUNT(*) FROM direction_closures",
                    Dialect.sqliteOnly("""
                    CREATE TRIGGER direction_closed AFTER INSERT ON direction_closures BEGIN
                        UPDATE directions SET closed = 1 WHERE name = new.direction;
                        UPDATE store_counters SET value = value + 1 WHERE name = 'direction_closures'; END"""),
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION direction_closed() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        UPDATE directions SET closed = 1 WHERE name = NEW.direction;
                        UPDATE store_counters SET value = value + 1 WHERE name = 'direction_closures';
                        RETURN NULL;
                    END $$"""),
                    Dialect.postgresqlOnly("CREATE TRIGGER direction_closed AFTER INSERT ON direction_closures "
                            + "FOR EACH ROW EXECUTE FUNCTION direction_closed()")),
            // 20 (PostgreSQL only): the envelopes and units counted as their transaction commits
            // (deferred constraint triggers) instead of at the insert. Results settle beside each
            // other there (PostgresStore), and each stores an envelope and may queue a unit: the
            // counter row, locked by its update until the commit, serialized them from their first
            // insert on. Now it is locked only for the commit itself. A transaction's reading of the
            // envelope count adds its own (AuditRows.auditCount); nothing reads the unit count in a
            // transaction that inserts units.
            List.of(Dialect.postgresqlOnly("DROP TRIGGER envelopes_counted ON envelopes"),
                    Dialect.postgresqlOnly("CREATE CONSTRAINT TRIGGER envelopes_counted AFTER INSERT ON envelopes "
                            + "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_counters_add_one('envelopes')"),
                    Dialect.postgresqlOnly("DROP TRIGGER units_counted ON units"),
                    Dialect.postgresqlOnly("CREATE CONSTRAINT TRIGGER units_counted AFTER INSERT ON units "
                            + "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_counters_add_one('units')")),
            // 21: the directions standing on a commit found along two indexes (base, frontier), where
            // every result read all directions to find them (Directions.directionsOn); and, on
            // PostgreSQL, the envelopes and units counted in stripes (counter_stripes: 16 rows a
            // counter, each server process counting in the one its id modulo 16 names, added on
            // read to the counter's row in store_counters, StoreCounters): one row counted by every commit
            // made commits that store an envelope or a unit, every result's, wait for each other
            // on it, each for the previous one's WAL flush. The table is made on SQLite too, so the
            // read is one statement on both, and stays empty there (one writer: nothing to spread).
            List.of("CREATE INDEX directions_by_base ON directions(base_commit)",
                    "CREATE INDEX directions_by_frontier ON directions(frontier_commit)",
                    "CREATE TABLE counter_stripes (name TEXT NOT NULL, stripe INTEGER NOT NULL, value INTEGER NOT NULL, "
                            + "PRIMARY KEY (name, stripe)) WITHOUT ROWID",
                    // every stripe there from the start, so a read of a counter costs the same 17 rows
                    // whichever processes have counted in it
                    Dialect.postgresqlOnly("INSERT INTO counter_stripes (name, stripe, value) SELECT c.name, s.stripe, 0 "
                            + "FROM (VALUES ('envelopes'), ('units')) AS c(name), generate_series(0, 15) AS s(stripe)"),
                    Dialect.postgresqlOnly("""
                    CREATE FUNCTION counter_stripes_add_one() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO counter_stripes (name, stripe, value) VALUES (TG_ARGV[0], pg_backend_pid() % 16, 1)
                        ON CONFLICT (name, stripe) DO UPDATE SET value = counter_stripes.value + 1;
                        RETURN NULL;
                    END $$"""),
                    Dialect.postgresqlOnly("DROP TRIGGER envelopes_counted ON envelopes"),
                    Dialect.postgresqlOnly("CREATE CONSTRAINT TRIGGER envelopes_counted AFTER INSERT ON envelopes "
                            + "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION counter_stripes_add_one('envelopes')"),
                    Dialect.postgresqlOnly("DROP TRIGGER units_counted ON units"),
                    Dialect.postgresqlOnly("CREATE CONSTRAINT TRIGGER units_counted AFTER INSERT ON units "
                            + "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION counter_stripes_add_one('units')")),
            // 22: the address a lease was claimed from (core.AddressScope: an IPv6 /64 as one), on
            // every lease of either kind, and on the unit while it is leased with its network (an
            // IPv4 /24, an IPv6 /48), so a claim counts what its address and network hold now
            // (core.LeaseCaps). PostgreSQL counts along partial indexes of the LEASED units only (2
            // is UnitStatus.State.LEASED), as many entries as the leases held, which the cap bounds;
            // SQLite keeps the counts in memory (OwnedReads.LeasedUnits) and needs no index. Leases
            // held at the migration have no address and are not counted until they end. Nodes by
            // when they were last seen: the sweep forgets those silent for a week (PeerDirectory),
            // and the reads of the nodes seen lately (a claim's "anyone outside this network?", the
            // peer lists, spot checks) read those only, where they went through every node ever.
            List.of("CREATE INDEX nodes_by_last_seen ON nodes(last_seen_ms)",
                    "ALTER TABLE unit_leases ADD COLUMN address TEXT NOT NULL DEFAULT ''",
                    "ALTER TABLE units ADD COLUMN lease_address TEXT NOT NULL DEFAULT ''",
                    "ALTER TABLE units ADD COLUMN lease_network TEXT NOT NULL DEFAULT ''",
                    Dialect.postgresqlOnly("CREATE INDEX units_leased_by_address ON units(lease_address) WHERE state = 2"),
                    Dialect.postgresqlOnly("CREATE INDEX units_leased_by_network ON units(lease_network) WHERE state = 2")),
            // 23: the candidates a direction may adopt, kept as their results settle
            // (service.AdoptionCandidates): an experiment with a decided trial at every adoption seed
            // in a hardware class, with its standing (its mean, signed so that lower is better,
            // less a rounding slack), so that a frontier's settlement reads those that can beat it
            // along an index where it read every experiment of the direction and each one's
            // results. The commits each direction adopted (started from the adoptions there) are
            // never candidates again; the directions whose experiments are all kept are listed
            // (those opened from here on; older ones are filled at their first frontier settlement).
            List.of("CREATE TABLE adoption_candidates (direction TEXT NOT NULL, hardware_class TEXT NOT NULL, "
                            + "commit_id TEXT NOT NULL, experiment_seq INTEGER NOT NULL, standing REAL NOT NULL, "
                            + "PRIMARY KEY (direction, hardware_class, commit_id))",
                    "CREATE INDEX adoption_candidates_by_standing ON adoption_candidates(direction, hardware_class, standing)",
                    "CREATE TABLE adopted_commits (direction TEXT NOT NULL, commit_id TEXT NOT NULL, "
                            + "PRIMARY KEY (direction, commit_id))",
                    "INSERT INTO adopted_commits (direction, commit_id) SELECT DISTINCT direction, commit_id FROM adoptions",
                    "CREATE TABLE adoption_candidates_kept (direction TEXT PRIMARY KEY)"),
            // 24: the id of the network this store serves (Store.Transaction.networkId), made once,
            // here, at random: every coordinator of one PostgreSQL store migrates under one lock, so
            // they all read the same id. Every signed request must name it (Envelopes.openStrict),
            // so a record captured on another network is refused here. One row.
            List.of("CREATE TABLE rhizome_network (id TEXT PRIMARY KEY)",
                    Dialect.sqliteOnly("INSERT INTO rhizome_network (id) VALUES (lower(hex(randomblob(16))))"),
                    Dialect.postgresqlOnly("INSERT INTO rhizome_network (id) VALUES (replace(gen_random_uuid()::text, '-', ''))")),
            // 25: each direction's adopted path as rows (store.AdoptedPaths, service.AdoptedPath),
            // written where the frontier moves, so that "is this commit adopted?" is one key
            // look-up where it walked back from the frontier through parents. A direction whose
            // frontier is still its base has an empty path (nothing registered after it opened is
            // an ancestor of the base) and is kept from here; the others are built at their next
            // settlement (the parents are in the envelopes, which SQL cannot read), and read by the
            // walk until then.
            List.of("CREATE TABLE adopted_path (direction TEXT NOT NULL, commit_id TEXT NOT NULL, "
                            + "depth INTEGER NOT NULL, PRIMARY KEY (direction, commit_id))",
                    "CREATE INDEX adopted_path_by_depth ON adopted_path(direction, depth)",
                    "CREATE TABLE adopted_path_heads (direction TEXT PRIMARY KEY, frontier_commit TEXT NOT NULL, "
                            + "chain INTEGER NOT NULL)",
                    "INSERT INTO adopted_path_heads (direction, frontier_commit, chain) "
                            + "SELECT name, frontier_commit, 1 FROM directions WHERE frontier_commit = base_commit"),
            // 26: the confirmation seeds drawn for each candidate that passed at its trial seeds
            // (core.ConfirmationRule, service.Settlement), one row per candidate, never drawn again;
            // the record (api.proto Confirmation) as bytes, its state beside it.
            List.of("CREATE TABLE confirmations (commit_id TEXT PRIMARY KEY, direction TEXT NOT NULL, "
                            + "drawn_ms INTEGER NOT NULL, audit_count INTEGER NOT NULL, state INTEGER NOT NULL, "
                            + "bytes BLOB NOT NULL)",
                    "CREATE INDEX confirmations_by_direction ON confirmations(direction, audit_count)"),
            // 27: the keys the store's coordinator instances sign result receipts with
            // (service.ResultReceipts), each kept by its instance at start, so that GET /v1/stats and an
            // export name every instance's key, not only the one answering.
            List.of("CREATE TABLE receipt_keys (key BLOB PRIMARY KEY, first_ms INTEGER NOT NULL)"),
            // 28: the secret each candidate's confirmation seeds are derived with
            // (service.SeedSecrets, core.ConfirmationRule), fixed in the transaction that registers
            // the candidate, so every coordinator on the store derives with the same one; its
            // commitment is served at once, the secret only in the confirmation that reveals it.
            List.of("CREATE TABLE seed_commitments (commit_id TEXT PRIMARY KEY, direction TEXT NOT NULL, "
                            + "audit_count INTEGER NOT NULL, committed_ms INTEGER NOT NULL, commitment BLOB NOT NULL, "
                            + "secret BLOB NOT NULL)",
                    "CREATE INDEX seed_commitments_by_direction ON seed_commitments(direction, audit_count)"),
            // 29: GET /v1/confirmations pages both lists by audit count then commit (round 27); every
            // direction's page, without these, sorted the whole table for each page.
            List.of("CREATE INDEX confirmations_in_order ON confirmations(audit_count, commit_id)",
                    "CREATE INDEX seed_commitments_in_order ON seed_commitments(audit_count, commit_id)"),
            // 30: the network each result was sent from and each experiment registered from, with
            // its proposer (core.ReplicaNetworks#of of the request's origin; "" for none, and for
            // rows stored before), written in the row each already inserts, so a spot check counts
            // the networks a key reported and proposed from beside those it claimed from.
            List.of("ALTER TABLE results ADD COLUMN network TEXT NOT NULL DEFAULT ''",
                    "CREATE INDEX results_by_runner_network ON results(runner, network) WHERE network <> ''",
                    "ALTER TABLE experiments ADD COLUMN proposer BLOB",
                    "ALTER TABLE experiments ADD COLUMN network TEXT NOT NULL DEFAULT ''",
                    "CREATE INDEX experiments_by_proposer_network ON experiments(proposer, network) WHERE network <> ''"),
            // 31: when each of those networks was seen (the row's receipt, as its envelope's
            // received_ms), so a spot check counts a key's results' and experiments' networks for
            // SpotChecks.NETWORKS_REMEMBERED, as its leases', not for as long as the rows exist (a
            // volunteer who moved house was kept off every check for ever, and the read grew with
            // history). Rows stored before take their envelope's receipt time, which is when their
            // network was seen; rows with no network keep 0 and are never read for one. The indexes
            // lead with the key and the time, so a check reads a key's recent rows only.
            List.of("ALTER TABLE results ADD COLUMN network_ms INTEGER NOT NULL DEFAULT 0",
                    "UPDATE results SET network_ms = (SELECT e.received_ms FROM envelopes e WHERE e.seq = results.envelope_seq) "
                            + "WHERE network <> ''",
                    "DROP INDEX results_by_runner_network",
                    "CREATE INDEX results_by_runner_recent ON results(runner, network_ms, network) WHERE network <> ''",
                    "ALTER TABLE experiments ADD COLUMN network_ms INTEGER NOT NULL DEFAULT 0",
                    "UPDATE experiments SET network_ms = (SELECT e.received_ms FROM envelopes e "
                            + "WHERE e.seq = experiments.envelope_seq) WHERE network <> ''",
                    "DROP INDEX experiments_by_proposer_network",
                    "CREATE INDEX experiments_by_proposer_recent ON experiments(proposer, network_ms, network) "
                            + "WHERE network <> ''"),
            // 32: what each node last announced of itself beside its endpoint (NodeAnnouncement.paused,
            // .not_claiming): a node its volunteer paused was counted as an idle runner by the queue's
            // reasons, kept its network's replicas held back for it (Dispatcher) and could be drawn
            // for a spot check it would never run. Rows stored before read as claiming.
            List.of("ALTER TABLE nodes ADD COLUMN paused INTEGER NOT NULL DEFAULT 0",
                    "ALTER TABLE nodes ADD COLUMN not_claiming TEXT NOT NULL DEFAULT ''"),
            // 33: the latest deadline of any reservation of the unit (a spot check's replicas,
            // unit_reservations), kept on its row and never lowered, NULL where none was made. On
            // PostgreSQL a claim's page locks its units, and the locked row is the one last
            // committed, so a page whose units show no deadline until now is known to be held for
            // nobody without reading unit_reservations after the locks (ClaimQueue). Started from
            // the reservations there.
            List.of("ALTER TABLE units ADD COLUMN reserved_until_ms INTEGER",
                    "UPDATE units SET reserved_until_ms = (SELECT MAX(v.until_ms) FROM unit_reservations v "
                            + "WHERE v.unit_id = units.id) WHERE id IN (SELECT unit_id FROM unit_reservations)"),
            // 34: the hardware class each lease was claimed with (ClaimRequest.hardware_class), so a
            // result is taken only in the class its runner claimed the unit with (ResultIntake):
            // a class of one's own is then one the claim had to fit the seed's with, not a word
            // written at report time. Leases made before have none ("") and are bound by the seed's
            // class alone.
            List.of("ALTER TABLE unit_leases ADD COLUMN hardware_class TEXT NOT NULL DEFAULT ''"),
            // 35: when a lease was given back starved of a CPU (LeaseGiveBack.starved), NULL where it
            // was not: a unit given back so from a few networks is offered only to a claim with a
            // core to spare, then charged (StarvedGiveBacks). The index holds those leases alone, so
            // a claim's page looks its units up among a few rows.
            List.of("ALTER TABLE unit_leases ADD COLUMN starved_ms INTEGER",
                    "CREATE INDEX unit_leases_starved ON unit_leases(unit_id) WHERE starved_ms IS NOT NULL"),
            // 36: how many times each trial (a commit at one random seed) was queued again because
            // it was decided only in hardware classes other than the one it must be compared in
            // (service.Settlement, TrialRequeues): unbounded, a stream of fresh keys of a made-up
            // class taking every replica had the coordinator queue the trial for ever. Kept apart
            // from the units, which a trial's tie-breakers and confirmations add to as well.
            List.of("""
                    CREATE TABLE trial_requeues (commit_id TEXT NOT NULL, random_seed BIGINT NOT NULL,
                        times INTEGER NOT NULL, PRIMARY KEY (commit_id, random_seed)) WITHOUT ROWID"""),
            // 37: an operator's orders to queue again trials whose requeues were spent
            // (service.TrialRequeueOrders): who, when, why and at which seeds, kept as closures and
            // bans are; keyed by the signed order's author and time, so the order sent again
            // (within the replay window) is answered from here and queues nothing twice.
            List.of("""
                    CREATE TABLE operator_requeues (direction TEXT NOT NULL, commit_id TEXT NOT NULL,
                        requeued_by BLOB NOT NULL, requeued_ms BIGINT NOT NULL, random_seeds TEXT NOT NULL,
                        reason TEXT NOT NULL, PRIMARY KEY (direction, commit_id, requeued_by, requeued_ms))"""),
            // 38: each operator key's terms (service.OperatorTermsAtStart): from the first start with
            // it configured until the first start without it (NULL while configured), so an export
            // can show which keys were operators when each order was made after one is rotated out.
            List.of("""
                    CREATE TABLE operator_terms (operator BLOB NOT NULL, from_ms BIGINT NOT NULL, until_ms BIGINT,
                        PRIMARY KEY (operator, from_ms))"""));

    /** SQLite: one more in {@code store_counters} under the table's name for each row inserted. */
    private static String addOneTrigger(String table) {
        return "CREATE TRIGGER " + table + "_counted AFTER INSERT ON " + table + " BEGIN "
                + "UPDATE store_counters SET value = value + 1 WHERE name = '" + table + "'; END";
    }

    /** PostgreSQL: the same, through migration 16's function. */
    private static String addOneTriggerPostgresql(String table) {
        return "CREATE TRIGGER " + table + "_counted AFTER INSERT ON " + table + " FOR EACH ROW "
                + "EXECUTE FUNCTION store_counters_add_one('" + table + "')";
    }

    /** SQLite: one more in the inserted row's direction's column {@code table} of {@code direction_counts}. */
    private static String directionCountTrigger(String table) {
        boolean experiments = table.equals("experiments");
        return "CREATE TRIGGER " + table + "_counted AFTER INSERT ON " + table + " BEGIN "
                + "INSERT INTO direction_counts (direction, experiments, results) VALUES (new.direction, "
                + (experiments ? "1, 0" : "0, 1") + ") ON CONFLICT (direction) DO UPDATE SET "
                + table + " = " + table + " + 1; END";
    }

    private SqliteSchema() {
    }

    static int latestVersion() {
        return MIGRATIONS.size();
    }

    static int migrate(Connection connection) throws SQLException {
        return migrate(connection, Dialect.SQLITE);
    }

    /** The PostgreSQL advisory lock (database-wide) under which coordinators create their schema and migrate it. */
    static final int MIGRATION_LOCK = 7700;

    /**
     * Applies the migrations this database lacks, in one transaction; returns the version now.
     * On PostgreSQL an advisory lock makes coordinators that start together migrate one at a time.
     */
    static int migrate(Connection connection, Dialect dialect) throws SQLException {
        return migrate(connection, dialect, MIGRATIONS.size());
    }

    /** Up to version {@code target} only: for tests that check a migration carries older data over. */
    static int migrate(Connection connection, Dialect dialect, int target) throws SQLException {
        try (Statement s = connection.createStatement()) {
            if (dialect == Dialect.POSTGRESQL) {
                s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")");
            }
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            int current;
            try (ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
                current = rs.next() ? rs.getInt(1) : 0;
            }
            if (current > MIGRATIONS.size()) {
                throw new SQLException("database schema version " + current + " is newer than this coordinator ("
                        + MIGRATIONS.size() + ")");
            }
            if (current < target) {
                // A migration is one transaction: a coordinator killed during it leaves the old
                // version, which the next start migrates again from here.
                LOG.info("migrating the database from schema version {} to {}", current, target);
            }
            for (int v = current; v < target; v++) {
                for (String ddl : MIGRATIONS.get(v)) {
                    String sql = dialect.translate(ddl);
                    if (!sql.isEmpty()) {
                        s.execute(sql);
                    }
                }
                s.execute("INSERT INTO schema_version (version) VALUES (" + (v + 1) + ")");
            }
            connection.commit();
            if (current < target) {
                LOG.info("the database is at schema version {}", target);
            }
            return Math.max(current, target);
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
    }
}
