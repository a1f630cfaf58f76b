// The baseline: a bare Node HTTP server that reads and parses the same JSON body and answers 200,
// storing nothing. Benchmarks report Measurely as a ratio of this, measured in the same run.
import http from 'node:http';

const port = Number(process.env.PORT ?? 3999);
http
  .createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      let status = 200;
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        status = 400;
      }
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  })
  .listen(port, '127.0.0.1', () => process.send?.('ready'));
