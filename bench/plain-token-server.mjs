// The plain-HTTP reference of bench/token-endpoint.mjs: the least an HTTP token endpoint
// can do on this machine, so that the bench can tell the emulator's own per-request cost
// from what any HTTP server pays.
//
//   node bench/plain-token-server.mjs <keys file> <kid> <claims JSON> <expected Authorization>
//
// node:http, no framework, no logs, no metrics, no security headers. For each request it
// reads the body, compares the Authorization header with the one given (401 otherwise),
// and signs the given claims (fresh auth_time, iat, exp and jti) with the emulator's key
// for `kid` through the emulator's own TokenSigner (from dist/: protected header encoded
// once, Node's KeyObject, crypto.sign on libuv's thread pool). Its worker threads get the
// emulator's priority (the emulator's own lowerThreadPoolPriority), so both servers
// schedule the signatures alike. Answers Cognito's JSON. Listens on a free loopback port
// and prints it as one line, `port N`.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [keysFile, kid, claimsJson, authorization] = process.argv.slice(2);
const tokens = new URL(
  '../dist/apps/cognito-emulator/apps/cognito-emulator/src/tokens/',
  import.meta.url,
);
const { lowerThreadPoolPriority } = await import(new URL('thread-pool-priority.js', tokens).href);
const { TokenSigner } = await import(new URL('token-signer.js', tokens).href);

const stored = JSON.parse(readFileSync(keysFile, 'utf8')).keys.find((k) => k.jwk.kid === kid);
if (!stored) throw new Error(`${keysFile} has no key ${kid}`);
const privateKey = createPrivateKey({ key: stored.jwk, format: 'jwk' });
// The one key of this server, in the shape TokenSigner asks its KeyStore for.
const signer = new TokenSigner({ signing: () => ({ kid, privateKey }) });
const template = JSON.parse(claimsJson);
const validity = template.exp - template.iat;

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    if (req.headers.authorization !== authorization) {
      res.writeHead(401).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    // Spreading the template keeps its claim order: the same bytes as the emulator signs.
    const claims = {
      ...template,
      auth_time: now,
      exp: now + validity,
      iat: now,
      jti: randomUUID(),
    };
    signer.sign(claims).then(
      (token) => {
        const body = JSON.stringify({
          access_token: token,
          expires_in: validity,
          token_type: 'Bearer',
        });
        res
          .writeHead(200, {
            'Content-Type': 'application/json;charset=UTF-8',
            'Cache-Control': 'no-store',
          })
          .end(body);
      },
      () => res.writeHead(500).end(),
    );
  });
});
server.listen(0, '127.0.0.1', async () => {
  await lowerThreadPoolPriority();
  console.log(`port ${server.address().port}`);
});
