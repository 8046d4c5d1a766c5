/**
 * The discovery file next to a store (<db>.server.json, mode 0600) that a running server writes, so local CLI
 * commands can reach it (DuckDB lets one process open the file). Kept free of heavy imports: the CLI reads it first.
 */
import fs from 'node:fs';

export interface Discovery {
  pid: number;
  url: string;
  admin_token: string;
  db: string;
}

export const discoveryPath = (dbPath: string) => `${dbPath}.server.json`;

export function readDiscovery(dbPath: string): Discovery | null {
  try {
    return JSON.parse(fs.readFileSync(discoveryPath(dbPath), 'utf8')) as Discovery;
  } catch {
    return null;
  }
}

