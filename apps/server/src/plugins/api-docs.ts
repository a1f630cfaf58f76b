import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { documentErrorCodes, SECURITY, SECURITY_SCHEMES } from '../http.js';

/** Where the interactive reference lives; the document itself is also at /api/openapi.json. */
export const DOCS_PREFIX = '/docs';
export const DOCS_TITLE = 'Measurely API reference';

const DESCRIPTION = `Send numbers to your project's metrics with one HTTP call, read them back as series, breakdowns, live updates and exports, and manage accounts, projects, members, API keys and metrics.

**Authentication.** Events are sent with an \`ingest\` API key: \`Authorization: Bearer mly_…\`. The query API (series, breakdowns, live, exports) takes a member's session cookie or a \`read\` API key, and \`GET /api/key\` tells either key what it is. Everything else under \`/api/\` takes the session cookie set by sign-up or sign-in: sign in on the dashboard in this browser and "Try it out" sends it. The website tracker's page views carry a \`public\` key in their body. Each operation names what it accepts.

**Errors.** Every error is an RFC 9457 \`application/problem+json\` document with a stable \`code\` to branch on. Each operation lists, per status, the codes it can answer (also as \`x-error-codes\`); any path may also answer 404 \`ROUTE_NOT_FOUND\`, or 405 \`METHOD_NOT_ALLOWED\` with \`Allow\` for a path that exists with other methods. Every response carries an \`X-Request-Id\`.

The document: [/api/openapi.json](/api/openapi.json) (OpenAPI 3.1).`;

const TAGS = [
  {
    name: 'Ingestion',
    description:
      'Sending events with an ingest key: one at a time or in batches, retried safely with `Idempotency-Key`. A 200 means the event is durably stored.',
  },
  {
    name: 'Query',
    description:
      'Reading metrics back: series by minute to month in any time zone, breakdowns by filter, the overview. Session or read key.',
  },
  { name: 'Export', description: 'The raw events of a metric, streamed as CSV or NDJSON.' },
  { name: 'Live', description: 'Metric totals pushed as Server-Sent Events as events commit.' },
  { name: 'Metrics', description: 'Creating, renaming and deleting metrics; their totals.' },
  { name: 'Projects', description: 'Projects, their limits and this month’s usage.' },
  { name: 'Members', description: 'Who belongs to a project, with which role.' },
  {
    name: 'API keys',
    description:
      'Ingest, read and public keys of a project. Secrets are shown once, except a public key’s: it is meant for web pages.',
  },
  { name: 'Accounts', description: 'Signing up and in, the profile, passwords.' },
  {
    name: 'Website tracker',
    description: 'Page views and visitors from `/track.js`, with a publishable key.',
  },
  { name: 'System', description: 'Health checks for load balancers and orchestrators.' },
];

// No `upgrade-insecure-requests` (the default's): it breaks a server reached over plain HTTP.
// Swagger UI inserts a <style> element at run time: inline styles are allowed, scripts are not.
const CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

const MARK =
  '<rect width="32" height="32" rx="8" fill="#4c6ef5"/><path d="M7 22.5 12.5 14l4.5 5 4-8 4 11.5" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>';
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${MARK}</svg>`;
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 220 32" width="220" height="32"><title>Measurely API</title>${MARK}<text x="42" y="23" font-family="system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif" font-size="20" fill="#1a1b1e"><tspan font-weight="700">Measurely</tspan><tspan dx="6" fill="#495057">API</tspan></text></svg>`;

/** The dashboard's look: a light top bar with the product's mark, its indigo for links. */
const THEME_CSS = `
body { margin: 0; }
html:not(.dark-mode) body { background: #fff; }
.swagger-ui .topbar { background: #fff; border-bottom: 1px solid #dee2e6; padding: 12px 0; }
.swagger-ui .topbar .topbar-wrapper { max-width: 1460px; margin: 0 auto; padding: 0 20px; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .topbar a.link { flex: 0 0 auto; max-width: none; }
.swagger-ui .topbar a.link img { height: 32px; width: auto; }
.swagger-ui .topbar .dark-mode-toggle { margin-left: auto; }
.swagger-ui .info hgroup.main > a { display: none; }
.swagger-ui .response-col_links { display: none; }
.swagger-ui .info a, .swagger-ui .markdown a, .swagger-ui .renderedMarkdown a { color: #364fc7; }
html.dark-mode .swagger-ui .topbar { background: #1a1b1e; border-bottom-color: #373a40; }
html.dark-mode .swagger-ui .topbar a.link img { filter: invert(1) hue-rotate(180deg); }
html.dark-mode .swagger-ui .info a, html.dark-mode .swagger-ui .markdown a,
html.dark-mode .swagger-ui .renderedMarkdown a { color: #91a7ff; }
`;

/**
 * The OpenAPI 3.1 document, built from the routes' schemas (@fastify/swagger), and the
 * interactive reference at /docs (@fastify/swagger-ui, served with its own assets, offline).
 * Register before the routes: the document collects them as they are added.
 */
export const apiDocsPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
      transform: documentErrorCodes,
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Measurely API', version: '1.0.0', description: DESCRIPTION },
        // Relative: "Try it out" calls the server that serves the page, whatever its address.
        servers: [{ url: '/', description: 'This server' }],
        tags: TAGS,
        components: { securitySchemes: SECURITY_SCHEMES },
        security: [...SECURITY.session],
      },
    });

    await app.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      staticCSP: CSP,
      logo: {
        type: 'image/svg+xml',
        content: Buffer.from(LOGO),
        href: DOCS_PREFIX,
        target: '_self',
      },
      theme: {
        title: DOCS_TITLE,
        css: [{ filename: 'measurely.css', content: THEME_CSS }],
        favicon: [
          {
            filename: 'favicon.svg',
            rel: 'icon',
            sizes: 'any',
            type: 'image/svg+xml',
            content: Buffer.from(FAVICON),
          },
        ],
      },
      uiConfig: {
        deepLinking: true,
        docExpansion: 'list',
        defaultModelsExpandDepth: -1,
        displayRequestDuration: true,
        filter: true,
        persistAuthorization: true,
        tryItOutEnabled: false,
      },
    });
  },
  { name: 'api-docs', fastify: '5.x' },
);
