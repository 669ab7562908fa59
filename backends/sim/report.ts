/**
 * Reports of replays: a plain-text table of summaries, and an SVG of latency CDFs (log
 * time axis), written without any plotting library.
 *
 * @module
 */
import type { ReplaySummary } from "./metrics.ts";

const ms = (
  v: number,
) => (Number.isNaN(v) ? "-" : v >= 10_000 ? `${(v / 1000).toFixed(1)}s` : v.toFixed(0));

/**
 * A fixed-width table, one row per summary.
 *
 * @example
 * ```ts
 * import { FcfsScheduler } from "@loom/schedulers";
 * import { formatTable, generateTrace, replayTrace, summarize } from "./mod.ts";
 * const r = await replayTrace(generateTrace({ numRequests: 5, ratePerS: 5 }), {
 *   scheduler: new FcfsScheduler(),
 * });
 * console.log(formatTable([summarize(r)]).split("\n")[2]!.startsWith("fcfs")); // true
 * ```
 */
export function formatTable(rows: readonly ReplaySummary[]): string {
  const head = [
    "scheduler",
    "done",
    "rej",
    "req/s",
    "tok/s",
    "TTFT p50",
    "p99",
    "TPOT p50",
    "p99",
    "e2e p50",
    "p99",
    "goodput",
    "SLO met",
    "short",
    "long",
    "prefix hit",
    "preempt",
  ];
  const body = rows.map((s) => [
    s.scheduler,
    String(s.numRequests),
    String(s.numRejected),
    s.throughputRps.toFixed(2),
    s.tokensPerS.toFixed(0),
    ms(s.ttftP50),
    ms(s.ttftP99),
    s.tpotP50.toFixed(1),
    s.tpotP99.toFixed(1),
    ms(s.e2eP50),
    ms(s.e2eP99),
    s.goodputRps.toFixed(2),
    `${(100 * s.sloAttainment).toFixed(1)}%`,
    ms(s.shortMeanMs),
    ms(s.longMeanMs),
    `${(100 * s.prefixHitRate).toFixed(1)}%`,
    String(s.numPreemptions),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** One curve: a name and its samples (ms). */
export interface CdfSeries {
  readonly name: string;
  readonly valuesMs: readonly number[];
}

/** One panel: a title and its curves. */
export interface CdfPanel {
  readonly title: string;
  readonly series: readonly CdfSeries[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const W = 440, H = 300, M = { l: 50, r: 12, t: 28, b: 40 };

/**
 * An SVG of empirical CDFs, panels side by side, log-scaled time axis.
 *
 * @example
 * ```ts
 * import { latencyCdfSvg } from "./mod.ts";
 * const svg = latencyCdfSvg([{ title: "TTFT", series: [{ name: "a", valuesMs: [1, 10, 100] }] }]);
 * console.log(svg.startsWith("<svg"), svg.includes("TTFT")); // true true
 * ```
 */
export function latencyCdfSvg(panels: readonly CdfPanel[], title = ""): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * panels.length}" height="${H + 20}" ` +
    `font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="14" font-size="13">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => out.push(panel(p, i * W, 20)));
  out.push("</svg>");
  return out.join("\n");
}

function panel(p: CdfPanel, x0: number, y0: number): string {
  let min = Infinity, max = 0;
  for (const s of p.series) {
    for (const v of s.valuesMs) {
      if (!(v > 0 && Number.isFinite(v))) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(min, 1e9))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(max, lo * 10))));
  const pw = W - M.l - M.r, ph = H - M.t - M.b;
  const px = (v: number) =>
    x0 + M.l + (pw * Math.log10(Math.max(v, lo) / lo)) / Math.log10(hi / lo);
  const py = (q: number) => y0 + M.t + ph * (1 - q);
  const g = [`<text x="${x0 + M.l}" y="${y0 + 16}" font-size="12">${esc(p.title)}</text>`];
  g.push(
    `<rect x="${x0 + M.l}" y="${
      y0 + M.t
    }" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  );
  for (let d = lo; d <= hi; d *= 10) {
    g.push(line(px(d), py(0), px(d), py(1), "#ddd"));
    g.push(text(px(d), py(0) + 14, d >= 1000 ? `${d / 1000}s` : `${d}ms`, "middle"));
  }
  for (const q of [0, 0.25, 0.5, 0.75, 1]) {
    g.push(line(px(lo), py(q), px(hi), py(q), "#eee"));
    g.push(text(x0 + M.l - 4, py(q) + 4, q.toFixed(2), "end"));
  }
  g.push(text(x0 + M.l + pw / 2, y0 + H - 6, "latency (log scale)", "middle"));
  p.series.forEach((s, i) => {
    const v = s.valuesMs.filter((x) => Number.isFinite(x)).slice().sort((a, b) => a - b);
    const n = v.length, step = Math.max(1, Math.floor(n / 400));
    const pts: string[] = [];
    for (let k = 0; k < n; k += step) {
      pts.push(`${px(v[k]!).toFixed(1)},${py((k + 1) / n).toFixed(1)}`);
    }
    if (n > 0) pts.push(`${px(v[n - 1]!).toFixed(1)},${py(1).toFixed(1)}`);
    const c = COLORS[i % COLORS.length]!;
    g.push(`<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${pts.join(" ")}"/>`);
    const ly = y0 + M.t + 14 + 14 * i;
    g.push(line(x0 + M.l + 8, ly - 4, x0 + M.l + 26, ly - 4, c, 2));
    g.push(text(x0 + M.l + 30, ly, `${s.name} (n=${n})`, "start"));
  });
  return g.join("\n");
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, w = 1): string {
  const f = (v: number) => v.toFixed(1);
  return `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${
    f(y2)
  }" stroke="${stroke}" stroke-width="${w}"/>`;
}

function text(x: number, y: number, s: string, anchor: string): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}">${esc(s)}</text>`;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
