// The dashboard: one static page and its assets, all served by the API itself (the machines have no
// internet, so no CDN). The page reads the serving endpoints (`/v1/...`) of the same origin.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';

const PUBLIC_DIR = join(import.meta.dirname, 'public');
const CHART_DIST = dirname(createRequire(import.meta.url).resolve('chart.js'));

// Everything the page loads comes from this origin; Chart.js only sets styles through the CSSOM.
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Mount anywhere (`app.use('/dashboard', createDashboardRouter())`): the page uses relative asset URLs. */
export function createDashboardRouter(): Router {
  const router = express.Router();

  router.get('/', (req, res) => {
    // `/dashboard` must become `/dashboard/`, or the page's relative asset URLs miss the mount path.
    const [path, query] = req.originalUrl.split('?', 2);
    if (!path?.endsWith('/')) return res.redirect(301, `${path}/${query === undefined ? '' : `?${query}`}`);
    res.set({
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.sendFile(join(PUBLIC_DIR, 'index.html'));
  });

  for (const file of ['chart.umd.min.js', 'chart.umd.min.js.map']) {
    router.get(`/assets/vendor/${file}`, (_req, res) => {
      res.set('Cache-Control', 'public, max-age=86400');
      res.sendFile(join(CHART_DIST, file));
    });
  }

  // no-cache: the browser revalidates (ETag), so a redeployed page never runs stale scripts.
  router.use(
    '/assets',
    express.static(PUBLIC_DIR, {
      index: false,
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );
  return router;
}
