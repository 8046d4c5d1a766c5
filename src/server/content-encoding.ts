/**
 * Request bodies sent with Content-Encoding gzip (or x-gzip) or deflate, decompressed as they arrive (RFC 9110, 8.4;
 * gzip is RFC 1952, deflate the zlib format of RFC 1950). Fastify applies bodyLimit to the stream a preParsing hook
 * returns, so the limit counts decompressed bytes and a small body that inflates past it is a 413 like a large one;
 * receivedEncodedLength is what Fastify compares with Content-Length.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Error code of a Content-Encoding this server does not decode (answered 415). */
export const UNSUPPORTED_ENCODING = 'LG_UNSUPPORTED_CONTENT_ENCODING';

type Decoded = Readable & { receivedEncodedLength?: number };

export function decodeBody(header: string | string[] | undefined, payload: Readable): Readable {
  const enc = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (enc === '' || enc === 'identity') return payload;
  const inflate = enc === 'gzip' || enc === 'x-gzip' ? zlib.createGunzip() : enc === 'deflate' ? zlib.createInflate() : null;
  if (!inflate) {
    const err = new Error(`Content-Encoding ${JSON.stringify(enc)} is not supported; send the body as is, or gzip or deflate it`);
    Object.assign(err, { code: UNSUPPORTED_ENCODING, statusCode: 415 });
    throw err;
  }
  const out = inflate as Decoded;
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => (out.receivedEncodedLength! += chunk.length));
  payload.on('error', (err) => inflate.destroy(err));
  // Registered before Fastify's own listener, so the error it sees is a 400 that names the encoding.
  inflate.on('error', (err: Error & { statusCode?: number }) => {
    if (err.statusCode === undefined) {
      err.message = `the body could not be decompressed as ${enc} (Content-Encoding): ${err.message}`;
      err.statusCode = 400;
    }
  });
  return payload.pipe(inflate);
}
