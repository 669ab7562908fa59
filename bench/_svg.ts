/**
 * Latency CDFs as one self-contained SVG: a panel per metric (TTFT, TPOT, ITL, E2E), one
 * step line per run (e.g. Loom and llama-server under the same load), x in ms.
 *
 * @module
 */

/** One run's latencies by metric name, ms. */
export interface CdfSeries {
  readonly label: string;
  readonly values: Readonly<Record<string, readonly number[]>>;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const W = 300, H = 220, PAD = { left: 48, right: 12, top: 28, bottom: 36 };

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A round tick step giving about five ticks over `max`. */
function tickStep(max: number): number {
  const raw = max / 5, mag = 10 ** Math.floor(Math.log10(raw || 1));
  return ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

function panel(metric: string, series: readonly CdfSeries[], x0: number): string {
  const all = series.flatMap((s) => s.values[metric] ?? []);
  const max = Math.max(1e-9, ...all) * 1.05;
  const pw = W - PAD.left - PAD.right, ph = H - PAD.top - PAD.bottom;
  const sx = (v: number) => x0 + PAD.left + (v / max) * pw;
  const sy = (p: number) => PAD.top + (1 - p) * ph;
  const out = [
    `<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(metric)}</text>`,
    `<rect x="${
      x0 + PAD.left
    }" y="${PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  const step = tickStep(max);
  for (let v = 0; v <= max; v += step) {
    out.push(
      `<line x1="${sx(v)}" y1="${sy(0)}" x2="${sx(v)}" y2="${sy(0) + 4}" stroke="#999"/>`,
      `<text x="${sx(v)}" y="${sy(0) + 16}" text-anchor="middle">${+v.toPrecision(3)}</text>`,
    );
  }
  for (const p of [0, 0.5, 0.9, 1]) {
    out.push(
      `<line x1="${x0 + PAD.left}" y1="${sy(p)}" x2="${x0 + W - PAD.right}" y2="${sy(p)}" ` +
        `stroke="#eee"/>`,
      `<text x="${x0 + PAD.left - 4}" y="${sy(p) + 4}" text-anchor="end">${p}</text>`,
    );
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 4}" text-anchor="middle">ms</text>`);
  series.forEach((s, i) => {
    const v = [...(s.values[metric] ?? [])].sort((a, b) => a - b);
    if (v.length === 0) return;
    let d = `M${sx(0).toFixed(1)},${sy(0).toFixed(1)}`;
    v.forEach((x, k) => {
      d += ` H${sx(x).toFixed(1)} V${sy((k + 1) / v.length).toFixed(1)}`;
    });
    out.push(
      `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5"/>`,
    );
  });
  return out.join("\n");
}

/**
 * Renders the CDFs of the given metrics for every series.
 *
 * @example
 * ```ts
 * import { cdfSvg } from "./_svg.ts";
 * const svg = cdfSvg(["TTFT"], [{ label: "a", values: { TTFT: [1, 2, 3] } }], "title");
 * console.log(svg.startsWith("<svg"), svg.includes("<path")); // true true
 * ```
 */
export function cdfSvg(
  metrics: readonly string[],
  series: readonly CdfSeries[],
  title: string,
): string {
  const width = W * metrics.length, height = H + 24 + 18 * series.length;
  const legend = series.map((s, i) =>
    `<rect x="12" y="${H + 12 + 18 * i}" width="12" height="12" fill="${
      COLORS[i % COLORS.length]
    }"/>` +
    `<text x="30" y="${H + 22 + 18 * i}">${esc(s.label)}</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...metrics.map((m, i) => panel(m, series, i * W)),
    ...legend,
    `<text x="${width - 8}" y="${height - 6}" text-anchor="end" fill="#666">${esc(title)}</text>`,
    "</svg>",
  ].join("\n");
}
