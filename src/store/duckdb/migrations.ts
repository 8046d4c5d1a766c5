/**
 * Versioned schema migrations. Each runs once, in its own transaction, in order; `schema_migrations` records them.
 * Never edit a migration that has shipped: add a new one.
 *
 * Decisions are flattened into `exposures` (one row per shown item, carrying the decision's ts, policy and strategy) so
 * that analyses are GROUP BYs without joins; `candidates` likewise holds one row per considered item.
 * There are no primary keys: DuckDB keeps ART indexes in memory and maintains them at several microseconds a row, so
 * idempotency is checked by an anti-join bounded by the batch's time range instead (see DuckDbStore.writeEvents).
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events, exposures, api keys',
    statements: [
      `CREATE TABLE api_keys (
        key_id VARCHAR NOT NULL, project VARCHAR NOT NULL, key_hash VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)`,
      `CREATE TABLE decisions (
        project VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, request_id VARCHAR NOT NULL,
        user_id VARCHAR, session_id VARCHAR, surface VARCHAR, policy VARCHAR, policy_version VARCHAR, strategy VARCHAR,
        attributes JSON, n_shown INTEGER NOT NULL, n_candidates INTEGER)`,
      `CREATE TABLE exposures (
        project VARCHAR NOT NULL, decision_id VARCHAR NOT NULL, request_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL,
        user_id VARCHAR, surface VARCHAR, policy VARCHAR, policy_version VARCHAR, strategy VARCHAR,
        item_id VARCHAR NOT NULL, position INTEGER NOT NULL, propensity DOUBLE NOT NULL, score DOUBLE,
        explored BOOLEAN NOT NULL)`,
      `CREATE TABLE candidates (
        project VARCHAR NOT NULL, decision_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, item_id VARCHAR NOT NULL)`,
      `CREATE TABLE outcomes (
        project VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, request_id VARCHAR NOT NULL,
        item_id VARCHAR, kind VARCHAR NOT NULL, value DOUBLE NOT NULL)`,
      `CREATE TABLE predictions (
        project VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, request_id VARCHAR NOT NULL,
        model_version VARCHAR NOT NULL, attributes JSON, score DOUBLE, probabilities JSON, predicted_label VARCHAR)`,
      `CREATE TABLE labels (
        project VARCHAR NOT NULL, event_id VARCHAR NOT NULL, ts TIMESTAMP NOT NULL, request_id VARCHAR NOT NULL,
        label VARCHAR NOT NULL, source VARCHAR NOT NULL, annotator_id VARCHAR)`,
      `CREATE TABLE ingested_files (
        project VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, kind VARCHAR NOT NULL, path VARCHAR NOT NULL,
        rows BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: 'offline metrics per model version',
    statements: [
      `CREATE TABLE offline_metrics (
        project VARCHAR NOT NULL, policy_version VARCHAR NOT NULL, metric VARCHAR NOT NULL, value DOUBLE NOT NULL,
        higher_is_better BOOLEAN NOT NULL, ts TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 3,
    name: 'decayed user profiles (SDK)',
    // Read by user on the serving path, so unlike the event tables these have keys: user_key (profile name and user id,
    // length-prefixed) in one column so that point reads use its ART index (DuckDB scans single-column indexes).
    statements: [
      `CREATE TABLE profile_configs (
        profile VARCHAR PRIMARY KEY, short_half_life_ms DOUBLE NOT NULL, long_half_life_ms DOUBLE NOT NULL,
        created_at TIMESTAMP NOT NULL)`,
      `CREATE TABLE profile_features (
        user_key VARCHAR NOT NULL, feature VARCHAR NOT NULL, short DOUBLE NOT NULL, long DOUBLE NOT NULL,
        t_ms DOUBLE NOT NULL, PRIMARY KEY (user_key, feature))`,
      `CREATE INDEX profile_features_user ON profile_features (user_key)`,
    ],
  },
  {
    version: 4,
    name: 'slate length on every exposure',
    // APLT averages the tail share per decision; with each exposure weighted 1/n_shown it is one pass over exposures.
    statements: [
      `ALTER TABLE exposures ADD COLUMN n_shown INTEGER`,
      `UPDATE exposures SET n_shown = d.n_shown FROM decisions d WHERE d.project = exposures.project AND d.event_id = exposures.decision_id`,
    ],
  },
  {
    version: 5,
    name: 'dashboard rollup kept in the store',
    // The dashboard's rollup (src/analyses/overview/rollup.ts): counts per (day, version, item, kind of traffic), and its
    // watermark, the project's exposure and outcome counts it covers, in total and per UTC day (kind 'e' or 'o').
    statements: [
      `CREATE TABLE dashboard_rollup (
        project VARCHAR NOT NULL, day INTEGER NOT NULL, version VARCHAR NOT NULL, item VARCHAR NOT NULL,
        explore INTEGER NOT NULL, exposures BIGINT NOT NULL, hits BIGINT NOT NULL)`,
      `CREATE TABLE dashboard_rollup_days (project VARCHAR NOT NULL, kind VARCHAR NOT NULL, day INTEGER NOT NULL, n BIGINT NOT NULL)`,
      `CREATE TABLE dashboard_rollup_state (
        project VARCHAR NOT NULL, exposure_rows BIGINT NOT NULL, outcome_rows BIGINT NOT NULL, catalog BIGINT NOT NULL,
        computed_at TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 6,
    name: 'outcome join key on exposures and outcomes',
    // outcome_key = hash(request_id, item_id) (OUTCOME_KEY_SQL in tables.ts): the outcome join on one integer. The store
    // fills it for rows written before this migration, and again whenever the engine's hash() changes (store_settings
    // keeps a probe of it): DuckDbStore.ensureOutcomeKeys.
    statements: [
      `ALTER TABLE exposures ADD COLUMN outcome_key UBIGINT`,
      `ALTER TABLE outcomes ADD COLUMN outcome_key UBIGINT`,
      `CREATE TABLE store_settings (name VARCHAR NOT NULL, value VARCHAR NOT NULL)`,
    ],
  },
  {
    version: 7,
    name: 'exploration and holdout exposures in a table of their own',
    // EXPLORED_EXPOSURES in tables.ts: the same columns as exposures, the rows of EXPLORE_SQL, for the analyses that
    // read only those (OPE's exploration-only rounds, loop health's reality anchor).
    statements: [
      `CREATE TABLE explored_exposures AS SELECT * FROM exposures WHERE false`,
      `INSERT INTO explored_exposures SELECT * FROM exposures e WHERE (e.explored OR e.strategy IN ('exploration', 'holdout'))`,
    ],
  },
];
