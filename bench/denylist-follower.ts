/**
 * The "other process" of the propagation bench: a denylist following the log of the bench's Redis.
 * On `{ watch: sub }` it acknowledges, then spins (setImmediate, so log replies are handled between
 * spins) until a token of `sub` at epoch 0 is rejected, and reports when (process.hrtime, which is
 * CLOCK_MONOTONIC: the same clock in every process of the machine).
 */
import { createDenylist } from '@tessera/denylist';
import { Redis } from 'ioredis';

const [port, prefix] = process.argv.slice(2);
const client = new Redis({ port: Number(port), host: '127.0.0.1' });
const denylist = createDenylist({ client, prefix: prefix!, onWarning: () => {} });
await denylist.start();

const send = (message: unknown) => process.send!(message);

process.on('message', (message: { watch?: string; stop?: boolean }) => {
  if (message.stop) {
    void denylist.close().then(() => {
      client.disconnect();
      process.exit(0);
    });
    return;
  }
  const sub = message.watch!;
  const iat = Math.floor(Date.now() / 1000);
  const claims = { iss: 'i', aud: 'a', jti: 'j', sub, iat, exp: iat + 60, epoch: 0 };
  send({ watching: sub });
  const spin = () => {
    try {
      denylist.check(claims);
      setImmediate(spin);
    } catch {
      send({ rejected: sub, at: process.hrtime.bigint().toString() });
    }
  };
  spin();
});
send({ ready: true });
