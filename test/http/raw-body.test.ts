import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/http/errors.js';
import { rawHeader, readRawBody } from '../../src/http/raw-body.js';

const LIMIT = 64;

function app() {
  return new Hono()
    .post('/echo', async (c) => {
      const body = await readRawBody(c, LIMIT);
      return c.json({ hex: Buffer.from(body).toString('hex'), header: rawHeader(c, 'X-Thing') ?? null });
    })
    .onError((error, c) => (error instanceof AppError ? c.json({ code: error.code }, error.status as 413) : c.json({ code: 'internal' }, 500)));
}

/** A POST over a real socket, optionally chunked (no Content-Length) so the size is only known by counting. */
function post(url: string, body: Buffer, options: { chunked?: boolean } = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: options.chunked ? { 'x-thing': 'a' } : { 'content-length': body.length, 'x-thing': 'a' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    // The server may answer 413 and close before the whole body is written.
    req.on('error', reject);
    if (options.chunked) {
      for (let i = 0; i < body.length; i += 16) req.write(body.subarray(i, i + 16));
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('readRawBody', () => {
  let server: ServerType;
  let url: string;

  beforeAll(async () => {
    server = serve({ fetch: app().fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the exact bytes from node, in one chunk or many, and headers without building a Request', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, ...Buffer.from('{"a": 1}')]);
    expect(await post(url, bytes)).toEqual({ status: 200, json: { hex: bytes.toString('hex'), header: 'a' } });
    const long = Buffer.alloc(LIMIT, 7);
    expect(await post(url, long, { chunked: true })).toEqual({ status: 200, json: { hex: long.toString('hex'), header: 'a' } });
  });

  it('answers 413 past the limit, from the declared length or by counting a chunked body', async () => {
    expect(await post(url, Buffer.alloc(LIMIT + 1))).toEqual({ status: 413, json: { code: 'payload_too_large' } });
    expect(await post(url, Buffer.alloc(LIMIT * 4), { chunked: true })).toEqual({ status: 413, json: { code: 'payload_too_large' } });
  });

  it('reads the standard body where there is no node request (app.request)', async () => {
    const res = await app().request('/echo', { method: 'POST', body: 'hello', headers: { 'x-thing': 'b' } });
    expect(await res.json()).toEqual({ hex: Buffer.from('hello').toString('hex'), header: 'b' });
    const empty = await app().request('/echo', { method: 'POST' });
    expect(await empty.json()).toEqual({ hex: '', header: null });
    const big = await app().request('/echo', { method: 'POST', body: 'x'.repeat(LIMIT + 1) });
    expect(big.status).toBe(413);
  });
});
