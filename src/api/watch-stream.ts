import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WatchSink } from '../watch/watcher.js';

/**
 * An HTTP response as a watch sink: 200, chunked, one JSON event per line, each written (and so
 * flushed) as it comes. Closing the connection from either side ends the watcher.
 */
export function responseSink(req: IncomingMessage, res: ServerResponse, onClientGone: () => void): WatchSink {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Transfer-Encoding', 'chunked');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  let ended = false;
  res.on('close', () => {
    if (!ended) onClientGone();
  });
  return {
    write(line) {
      if (!ended) res.write(line);
    },
    buffered() {
      return res.writableLength;
    },
    end() {
      if (ended) return;
      ended = true;
      res.end();
    },
  };
}
