import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { FILE_KINDS, UserError, type FileIngestOptions, type FileIngestResult, type FileKind } from '../store/store.js';
import { adminCall, parseFormat, parsePairs, print, readJsonFile, withStore } from './common.js';
import { checkProject } from './keys.js';

/** Other names users give canonical fields in --map (the OBD and Open Bandit Pipeline vocabulary among them). */
const SYNONYMS: Record<string, string> = { action: 'item_id', pscore: 'propensity', propensity_score: 'propensity', timestamp: 'ts', click: 'reward' };

export function canonical(pairs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(pairs).map(([k, v]) => [SYNONYMS[k] ?? k, v]));
}

function readMapFile(file: string): { map: Record<string, string>; set: Record<string, string> } {
  const json = readJsonFile('--map-file', file);
  const isStrings = (x: unknown): x is Record<string, string> =>
    !!x && typeof x === 'object' && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string');
  if (isStrings(json)) return { map: json, set: {} };
  const o = json as { map?: unknown; set?: unknown };
  if (o && typeof o === 'object' && (o.map === undefined || isStrings(o.map)) && (o.set === undefined || isStrings(o.set)))
    return { map: (o.map as Record<string, string>) ?? {}, set: (o.set as Record<string, string>) ?? {} };
  throw new UserError(`--map-file ${file}: expected {"field": "column", ...} or {"map": {...}, "set": {...}} with string values`);
}

export function summarize(r: FileIngestResult): string {
  const written = Object.entries(r.written).map(([t, n]) => `${n} ${t}`).join(', ');
  const lines = [
    `Loaded ${path.basename(r.file)} (${r.format}, ${r.rows} rows) into project '${r.project}': ${written || 'nothing new'}.`,
    `${r.stored} new, ${r.duplicates} already stored, ${r.rejected} rejected${r.rejects_file ? ` (written to ${r.rejects_file})` : ''}.`,
  ];
  return lines.join('\n');
}

export function registerIngest(program: Command): void {
  program
    .command('ingest <file>')
    .description('load a CSV, Parquet or JSONL file; a file with bad rows is refused whole (see --skip-bad)')
    .requiredOption('--kind <kind>', `what each row is: ${FILE_KINDS.join(', ')}`)
    .requiredOption('--project <name>', 'project to load into')
    .option('--map <pairs>', 'field=column pairs, e.g. action=item_id,reward=click,propensity=propensity_score')
    .option('--map-file <file>', 'JSON mapping: {"field": "column"} or {"map": {...}, "set": {...}}')
    .option('--set <pairs>', 'field=value constants for every row, e.g. policy=bts,policy_version=v1')
    .option('--skip-bad', 'load the good rows and write the bad ones to a rejects file')
    .option('--rejects <file>', 'where --skip-bad writes the bad rows (default <file>.rejects.csv or .jsonl)')
    .option('--db <path>', 'store file (default ./.loopguard/loopguard.duckdb or $LOOPGUARD_DB)')
    .option('--format <format>', 'text or json', 'text')
    .action(async (file: string, o: { kind: string; project: string; map?: string; mapFile?: string; set?: string; skipBad?: boolean; rejects?: string; db?: string; format: string }) => {
      const format = parseFormat(o.format);
      if (!(FILE_KINDS as readonly string[]).includes(o.kind)) throw new UserError(`--kind must be one of ${FILE_KINDS.join(', ')} (got '${o.kind}')`);
      if (o.rejects && !o.skipBad) throw new UserError('--rejects names where --skip-bad writes the bad rows; pass --skip-bad with it');
      const fromFile = o.mapFile ? readMapFile(o.mapFile) : { map: {}, set: {} };
      const opts: FileIngestOptions = {
        project: checkProject(o.project),
        path: path.resolve(file),
        kind: o.kind as FileKind,
        map: canonical(parsePairs('--map', o.map, fromFile.map)),
        set: canonical(parsePairs('--set', o.set, fromFile.set)),
        ...(o.skipBad ? { skipBad: true } : {}),
        ...(o.rejects ? { rejectsPath: path.resolve(o.rejects) } : {}),
      };
      const bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'ingest {bar} {percentage}% {stage}', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      const result = await withStore(
        o.db,
        async (store) => {
          try {
            return await store.ingestFile({
              ...opts,
              onProgress: (done, total, stage) => {
                if (!started) (bar.start(total, done, { stage }), (started = true));
                else bar.update(done, { stage });
              },
            });
          } finally {
            if (started) bar.stop();
          }
        },
        (server) => {
          process.stderr.write(`The store is held by the server at ${server.url}; it loads the file.\n`);
          return adminCall<FileIngestResult>(server, '/v1/admin/ingest', opts);
        },
      );
      print(format === 'json' ? JSON.stringify(result, null, 2) : summarize(result));
    });
}
