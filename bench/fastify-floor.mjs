// A reference, not a target: a bare Fastify route that parses the same body and answers 200,
// storing nothing. It shows the framework's own ceiling on this machine, beside the Node baseline.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/event/v1/:metric', async (request) => ({ ok: true, metricId: request.params.metric }));
await app.listen({ port: Number(process.env.PORT ?? 3998), host: '127.0.0.1' });
process.send?.('ready');
