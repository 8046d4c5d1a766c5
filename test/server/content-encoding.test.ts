/**
 * POST bodies with Content-Encoding gzip or deflate, against the real server: stored like plain ones, the body limit
 * counted on the decompressed bytes, and a damaged or unsupported encoding answered with 400 or 415, not 500.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decision, outcome, startTestServer } from '../helpers.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let key: string;
beforeAll(async () => {
  server = await startTestServer({ bodyLimit: 64 * 1024 });
  key = await server.key('shop');
});
afterAll(async () => server.close());

async function send(body: Buffer, encoding: string) {
  const res = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: `Bearer ${key}` },
    body: new Uint8Array(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('Content-Encoding', () => {
  it('stores gzip and deflate bodies as it stores plain ones', async () => {
    for (const [encoding, pack] of [['gzip', zlib.gzipSync], ['x-gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['GZip', zlib.gzipSync]] as const) {
      const d = decision();
      const events = [d, outcome({ request_id: d.request_id, item_id: 'i1' })];
      const r = await send(pack(Buffer.from(JSON.stringify(events))), encoding);
      expect(r.status, encoding).toBe(200);
      expect(r.json).toMatchObject({ received: 2, stored: 2, rejected: 0 });
    }
    const rows = await server.store.query("SELECT count(*)::INTEGER AS n FROM decisions WHERE project = 'shop'");
    expect(rows[0]!.n).toBe(4);
  });

  it('counts the body limit on the decompressed bytes: a small body that inflates past it is a 413', async () => {
    // 200 KB of events (over the 64 KB limit) that gzip to a few KB
    const events = Array.from({ length: 400 }, () => decision({ attributes: { note: 'x'.repeat(400) } }));
    const raw = Buffer.from(JSON.stringify(events));
    const packed = zlib.gzipSync(raw);
    expect(raw.length).toBeGreaterThan(64 * 1024);
    expect(packed.length).toBeLessThan(64 * 1024);
    const r = await send(packed, 'gzip');
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('payload_too_large');
  });

  it('answers a damaged body with 400 and an encoding it does not decode with 415', async () => {
    const bad = await send(Buffer.from('[{"type": "decision"}]'), 'gzip');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/could not be decompressed as gzip/);
    const truncated = zlib.gzipSync(Buffer.from(JSON.stringify([decision()])));
    const cut = await send(truncated.subarray(0, truncated.length - 12), 'gzip');
    expect(cut.status).toBe(400);
    const br = await send(zlib.brotliCompressSync(Buffer.from('[]')), 'br');
    expect(br.status).toBe(415);
    expect(br.json).toEqual({ error: 'unsupported_media_type', message: 'Content-Encoding "br" is not supported; send the body as is, or gzip or deflate it' });
  });
});
