// The Node.js peer for `make bench`: one process, the core `http` module, no framework.
// GET /hello returns the same 14-byte text as Trellis's hello; POST /echo returns the request body
// with its Content-Type, as Trellis's echo does. Usage: node server.js PORT
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const greeting = Buffer.from('Hello, world!\n');

const server = http.createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/echo') {
    const pieces = [];
    request.on('data', (piece) => pieces.push(piece));
    request.on('end', () => {
      const body = Buffer.concat(pieces);
      response.writeHead(200, {
        'Content-Type': request.headers['content-type'] || 'application/octet-stream',
        'Content-Length': body.length,
      });
      response.end(body);
    });
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': greeting.length });
  response.end(greeting);
});
// Node's default keep-alive timeout of 5 s would close connections between interleaved runs.
server.keepAliveTimeout = 120000;
server.listen(port, '127.0.0.1', () => console.log(`node listening on ${port}`));
