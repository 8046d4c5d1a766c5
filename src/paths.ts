/**
 * Whether two paths name one file: links resolved, and for a file that does not exist yet (an output about to be
 * written), its directory's links. Used before writing a file a command produces, so that it never overwrites the
 * file the command reads (--rejects over the ingested file, --suggest over the --eval set).
 */
import fs from 'node:fs';
import path from 'node:path';

function realTarget(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

export function sameFile(a: string, b: string): boolean {
  return realTarget(a) === realTarget(b);
}
