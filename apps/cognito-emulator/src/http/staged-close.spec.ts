import Fastify, { type FastifyInstance } from 'fastify';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeInStages } from './staged-close.js';

async function server(): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 1024 });
  app.addHook('onSend', closeInStages(300));
  app.post('/', () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

const openConnections = (app: FastifyInstance) =>
  new Promise<number>((resolve, reject) =>
    app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );

describe('closeInStages', () => {
  it('answers, half-closes, and lets go of a connection whose body never ends after the linger time', async () => {
    const app = await server();
    const { port } = app.server.address() as { port: number };
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    try {
      const events: string[] = [];
      socket.on('data', (d: Buffer) => {
        if (d.toString().startsWith('HTTP/1.1 413')) events.push('413');
      });
      const ended = new Promise((resolve) => socket.on('end', resolve));
      // Declares 1 MiB, sends 4 KiB, then stalls without ever finishing.
      socket.write(
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1048576\r\n\r\n',
      );
      socket.write(Buffer.alloc(4096, 'x'));
      await ended;
      const answeredAt = Date.now();
      expect(events).toEqual(['413']);
      // Still open for the rest of the body, then closed by the server.
      expect(await openConnections(app)).toBe(1);
      while ((await openConnections(app)) > 0) await sleep(20);
      const lingered = Date.now() - answeredAt;
      expect(lingered).toBeGreaterThanOrEqual(250);
      expect(lingered).toBeLessThan(3_000);
    } finally {
      socket.destroy();
      await app.close();
    }
  });
});
