import { createLogger, klogTextLine } from '../../src/cli/logger.js';

function capture(): { lines: string[]; destination: { write(s: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

describe('json: klog\'s JSON form', () => {
  test('ts in Unix seconds, v for info lines, msg, fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', format: 'json', destination });
    const before = Date.now() / 1000;
    logger.info({ verb: 'GET', resp: 200 }, 'HTTP');
    logger.debug('detail');
    const info = JSON.parse(lines[0]);
    expect(info).toEqual({ ts: expect.any(Number), v: 0, verb: 'GET', resp: 200, msg: 'HTTP' });
    expect(info.ts).toBeGreaterThanOrEqual(before - 1);
    expect(info.ts).toBeLessThan(before + 60);
    expect(JSON.parse(lines[1])).toMatchObject({ v: 4, msg: 'detail' });
  });

  test('errors and warnings carry no v, and err', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', format: 'json', destination });
    logger.error({ err: 'connection refused' }, 'change feed');
    logger.warn('careful');
    expect(JSON.parse(lines[0])).toEqual({ ts: expect.any(Number), level: 'error', err: 'connection refused', msg: 'change feed' });
    expect(JSON.parse(lines[1])).toEqual({ ts: expect.any(Number), level: 'warning', msg: 'careful' });
  });

  test('a worker\'s lines name it', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'info', format: 'json', worker: 2, destination }).info('up');
    expect(JSON.parse(lines[0])).toMatchObject({ worker: 2, msg: 'up' });
  });

  test('below the level nothing is written', () => {
    const { lines, destination } = capture();
    createLogger({ level: 'warn', format: 'json', destination }).info('quiet');
    expect(lines).toEqual([]);
  });
});

describe('text: klog\'s text form', () => {
  test('severity, date, time, pid, then the quoted message and key=value pairs', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', format: 'text', destination });
    logger.info({ verb: 'LIST', URI: '/api/v1/pods?limit=500', resp: 200, ok: true }, 'HTTP');
    logger.warn({ err: 'boom' }, 'change feed');
    logger.error({ obj: { name: 'a', namespace: 'b' } }, 'failed');
    const pid = String(process.pid).padStart(7);
    expect(lines[0]).toMatch(new RegExp(`^I\\d{4} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} ${pid} pgkube\\] "HTTP" verb="LIST" URI="/api/v1/pods\\?limit=500" resp=200 ok=true\\n$`));
    expect(lines[1]).toMatch(/^W\d{4} .* pgkube\] "change feed" err="boom"\n$/);
    expect(lines[2]).toMatch(/^E\d{4} .* pgkube\] "failed" obj=\{"name":"a","namespace":"b"\}\n$/);
  });

  test('the header carries the local date and time of the entry', () => {
    const at = new Date(2026, 4, 27, 9, 5, 7, 123);
    const line = klogTextLine(JSON.stringify({ level: 30, time: at.getTime(), msg: 'x' }), 42);
    expect(line).toBe('I0527 09:05:07.123000      42 pgkube] "x"\n');
  });
});
