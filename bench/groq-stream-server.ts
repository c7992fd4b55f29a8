// A separate process serving one pre-built streamed completion as fast as the socket allows,
// so the benchmark's process.cpuUsage() counts the client alone. Started by bench/groq-client.ts.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildBenchBody } from './groq-bench-stream.js';

const body = buildBenchBody();
const sliceBytes = 64 * 1024;

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': 'req_bench',
      'x-ratelimit-limit-tokens': '8000',
      'x-ratelimit-remaining-tokens': '8000',
    });
    // Chunked like a real stream, all queued at once: the socket sets the pace.
    for (let offset = 0; offset < body.length; offset += sliceBytes) response.write(body.subarray(offset, offset + sliceBytes));
    response.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port, bytes: body.length });
});
process.on('disconnect', () => {
  server.close();
  server.closeAllConnections();
});
