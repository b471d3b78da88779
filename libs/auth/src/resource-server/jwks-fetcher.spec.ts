import { generateKeyPairSync } from 'node:crypto';
import {
  endlessJson,
  peersClosedAfterEach,
  respond,
  startPeer,
  trickle,
} from '../../../../test/helpers/hostile-peers.js';
import { createJwksFetcher, JwksFetchError } from './jwks-fetcher.js';

const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
  format: 'jwk',
});
const keySet = JSON.stringify({ keys: [{ ...jwk, kid: 'k1', alg: 'RS256', use: 'sig' }] });
const json = { 'Content-Type': 'application/json' };

describe('createJwksFetcher', () => {
  const peer = peersClosedAfterEach();

  /** The rejection of `promise`, which must be a JwksFetchError. */
  const failure = async (promise: Promise<unknown>): Promise<JwksFetchError> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JwksFetchError);
    return err as JwksFetchError;
  };

  it('returns the keys of a well-formed key set', async () => {
    const p = await peer(respond(200, json, keySet));
    const fetchKeys = createJwksFetcher({ timeoutMs: 2000 });
    const { keys } = await fetchKeys(`${p.url}/.well-known/jwks.json`);
    expect(keys).toEqual([expect.objectContaining({ kid: 'k1', kty: 'RSA', n: jwk.n })]);
  });

  it('stops a key set that streams without end at the size cap and closes the connection', async () => {
    const p = await peer(endlessJson());
    const started = Date.now();
    const err = await failure(
      createJwksFetcher({ timeoutMs: 10_000, maxBytes: 1024 * 1024 })(p.url),
    );
    expect(err.code).toBe('jwks_too_large');
    expect(err.message).toBe('the key set is larger than 1048576 bytes');
    // Stopped by size, long before the deadline, and the peer sees its connection closed.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await p.allClosed(2000)).toBe(true);
  });

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    const p = await peer(respond(200, json, 'x'.repeat(2048)));
    const err = await failure(createJwksFetcher({ timeoutMs: 2000, maxBytes: 1024 })(p.url));
    expect(err.code).toBe('jwks_too_large');
  });

  it('aborts a trickling key set at the total deadline, not an idle timeout, and closes the connection', async () => {
    // A byte every 50 ms: never idle, never done.
    const p = await peer(trickle(keySet, 50));
    const started = Date.now();
    const err = await failure(createJwksFetcher({ timeoutMs: 400 })(p.url));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('jwks_timeout');
    expect(err.message).toBe('the key set request exceeded its 400 ms deadline');
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(3000);
    expect(await p.allClosed(2000)).toBe(true);
  });

  it('aborts a peer that never sends headers at the deadline', async () => {
    const p = await peer(() => undefined);
    const err = await failure(createJwksFetcher({ timeoutMs: 300 })(p.url));
    expect(err.code).toBe('jwks_timeout');
    expect(await p.allClosed(2000)).toBe(true);
  });

  it('names the status of a non-2xx answer, never its body', async () => {
    const p = await peer(respond(500, { 'Content-Type': 'text/plain' }, 'secret stack trace'));
    const err = await failure(createJwksFetcher({ timeoutMs: 2000 })(p.url));
    expect(err.code).toBe('jwks_http_status');
    expect(err.message).toBe('the key set endpoint answered 500');
  });

  it('refuses a redirect instead of following it', async () => {
    const target = await peer(respond(200, json, keySet));
    const p = await peer(respond(302, { Location: target.url }));
    const err = await failure(createJwksFetcher({ timeoutMs: 2000 })(p.url));
    expect(err.code).toBe('jwks_unreachable');
    expect(target.requests).toBe(0);
  });

  it.each([
    ['not JSON', '<html>', 'the key set is not JSON'],
    ['JSON without keys', '{"kid":"k1"}', 'the key set has no "keys" array'],
    ['JSON null', 'null', 'the key set has no "keys" array'],
  ])('refuses a body that is %s', async (_what, body, message) => {
    const p = await peer(respond(200, json, body));
    const err = await failure(createJwksFetcher({ timeoutMs: 2000 })(p.url));
    expect(err.code).toBe('jwks_invalid_body');
    expect(err.message).toBe(message);
  });

  it('reports a closed port as unreachable', async () => {
    const p = await startPeer(respond(200, json, keySet));
    await p.close();
    const err = await failure(createJwksFetcher({ timeoutMs: 2000 })(p.url));
    expect(err.code).toBe('jwks_unreachable');
  });

  it('aborts a fetch in flight when its owner signal aborts', async () => {
    const p = await peer(trickle(keySet, 50));
    const owner = new AbortController();
    const pending = createJwksFetcher({ timeoutMs: 10_000, signal: owner.signal })(p.url);
    setTimeout(() => owner.abort(), 100);
    const err = await failure(pending);
    expect(err.code).toBe('jwks_unreachable');
    expect(await p.allClosed(2000)).toBe(true);
  });
});
