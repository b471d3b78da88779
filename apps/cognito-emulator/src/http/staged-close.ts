import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';

/** How long a connection answered early stays open for the rest of the request body. */
export const LINGER_MS = 5_000;

/**
 * Closes a connection in stages when it is answered before its request body has arrived
 * (an oversized body's 413, which Fastify sends with `Connection: close`): the answer, a
 * half-close (FIN), then the rest of the body read and dropped until the client closes, or
 * for at most `lingerMs`. RFC 9112 §9.6: a server that closes at once while the client is
 * still sending makes its TCP stack answer the next bytes with a reset, and the reset can
 * erase the answer before the client reads it (the client sees ECONNRESET or EPIPE).
 *
 * A Fastify `onSend` hook. It needs Node's http server to end such a connection through
 * `socket.destroySoon()` (end, then destroy once written, what `_http_server.js` calls
 * after a response with `Connection: close`), which this replaces on that one socket.
 */
export function closeInStages(lingerMs = LINGER_MS): onSendHookHandler {
  return (req: FastifyRequest, reply: FastifyReply, payload, done) => {
    const closing = /\bclose\b/i.test(String(reply.getHeader('connection') ?? ''));
    if (closing && !req.raw.complete) linger(req.raw.socket, lingerMs);
    done(null, payload);
  };
}

function linger(socket: Socket, lingerMs: number): void {
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs).unref();
    socket.once('close', () => clearTimeout(timer));
  };
}
