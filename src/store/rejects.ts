/**
 * Where `--skip-bad` (skipBad) writes the bad rows of a file, checked before anything is read or loaded: a rejects
 * path that cannot be written would otherwise fail after the good rows are committed (an event file) or late in the
 * load, and one equal to the input would overwrite the user's file with its own bad rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sameFile } from '../paths.js';
import { UserError } from './store.js';

/** The rejects file for `file`: `given`, or <file>.rejects.jsonl for event files and <file>.rejects.csv otherwise. */
export function rejectsFileFor(file: string, events: boolean, given?: string): string {
  return path.resolve(given ?? `${file}.rejects.${events ? 'jsonl' : 'csv'}`);
}

/** Throws a UserError naming the path when the rejects file would be the input itself or cannot be written. */
export function checkRejectsFile(input: string, rejects: string): void {
  if (sameFile(input, rejects)) throw new UserError(`the rejects file ${rejects} is the input file itself; name another file for the bad rows`);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(rejects);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) throw new UserError(`the rejects file ${rejects} is a directory; name a file for the bad rows`);
  const dir = path.dirname(rejects);
  if (!fs.existsSync(dir)) throw new UserError(`the rejects file ${rejects} cannot be written: its directory ${dir} does not exist`);
  try {
    fs.accessSync(stat ? rejects : dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`the rejects file ${rejects} cannot be written: no permission to write ${stat ? 'it' : `in ${dir}`}`);
  }
}
