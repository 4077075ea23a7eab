/**
 * The small parsers of the kubelet API: log options, forwarded ports, terminal resizes, and Docker's
 * multiplexed stdout/stderr framing.
 */
import { PassThrough } from 'node:stream';
import { logOptionsFromQuery } from '../../src/agent/server/logs.js';
import { portsFromQuery } from '../../src/agent/server/port-forward.js';
import { streamOptionsFromQuery, watchResize } from '../../src/agent/server/remote-command.js';
import { demultiplex } from '../../src/agent/runtime/docker-streams.js';
import type { TerminalSize } from '../../src/agent/runtime.js';

test('log options: parsed, sinceSeconds resolved against now, invalid values refused with the API\'s words', () => {
  const q = (s: string) => new URLSearchParams(s);
  expect(logOptionsFromQuery(q('follow=true&timestamps=true&tailLines=5&limitBytes=10&sinceSeconds=60'), 1_000_000)).toEqual({
    follow: true, previous: false, timestamps: true, tailLines: 5, limitBytes: 10, sinceMs: 940_000,
  });
  expect(logOptionsFromQuery(q('sinceTime=2026-01-02T03:04:05Z')).sinceMs).toBe(Date.parse('2026-01-02T03:04:05Z'));
  expect(() => logOptionsFromQuery(q('sinceSeconds=1&sinceTime=2026-01-02T03:04:05Z'))).toThrow('at most one of `sinceTime` or `sinceSeconds` may be specified');
  expect(() => logOptionsFromQuery(q('tailLines=x'))).toThrow('tailLines: Invalid value: "x": must be an integer');
  expect(() => logOptionsFromQuery(q('limitBytes=0'))).toThrow('limitBytes: Invalid value: must be greater than 0');
  expect(() => logOptionsFromQuery(q('sinceTime=yesterday'))).toThrow('must be RFC3339');
});

test('stream options: a TTY has no separate stderr; ports: repeated or comma-separated, in range', () => {
  expect(streamOptionsFromQuery(new URLSearchParams('stdin=true&stdout=1&stderr=true&tty=true'))).toEqual({ stdin: true, stdout: true, stderr: false, tty: true });
  expect(streamOptionsFromQuery(new URLSearchParams('stdout=true&stderr=true'))).toEqual({ stdin: false, stdout: true, stderr: true, tty: false });
  expect(portsFromQuery(new URLSearchParams('ports=80,443&ports=8080'))).toEqual([80, 443, 8080]);
  expect(() => portsFromQuery(new URLSearchParams('ports=70000'))).toThrow('invalid port "70000"');
});

test('resize: a stream of JSON sizes, split anywhere, malformed ones skipped', async () => {
  const src = new PassThrough();
  const sizes: TerminalSize[] = [];
  watchResize(src, (s) => sizes.push(s));
  src.write('{"Width":80,"Hei');
  src.write('ght":24}{"Width":"x"}{"Width":100,"Height":30}');
  src.end();
  await new Promise((r) => src.on('end', r));
  expect(sizes).toEqual([{ width: 80, height: 24 }, { width: 100, height: 30 }]);
});

test('Docker framing: 8-byte headers split stdout from stderr, frames cut across chunks', async () => {
  const frame = (type: number, text: string) => {
    const head = Buffer.alloc(8);
    head[0] = type;
    head.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([head, Buffer.from(text)]);
  };
  const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
  const src = new PassThrough();
  const out = new PassThrough();
  const err = new PassThrough();
  const read = (s: PassThrough) => new Promise<string>((resolve) => {
    let t = '';
    s.on('data', (c: Buffer) => (t += c.toString()));
    s.on('end', () => resolve(t));
  });
  const outText = read(out);
  const errText = read(err);
  demultiplex(src, out, err);
  src.write(all.subarray(0, 5));
  src.write(all.subarray(5, 21));
  src.end(all.subarray(21));
  expect(await outText).toBe('out one\nout two\n');
  expect(await errText).toBe('err\n');
});
