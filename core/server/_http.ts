/**
 * Small HTTP helpers: CORS against an allow-list, preflight answers, and a constant-time
 * API-key check.
 *
 * @module
 */

/** CORS headers for a request whose `Origin` is allowed; empty otherwise. */
export function corsHeaders(
  request: Request,
  allowed: readonly string[],
): Record<string, string> {
  const origin = request.headers.get("origin");
  if (origin === null || allowed.length === 0) return {};
  if (allowed.includes("*")) return { "access-control-allow-origin": "*" };
  if (!allowed.includes(origin)) return {};
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

/** The answer to an `OPTIONS` preflight (CORS headers only when the origin is allowed). */
export function preflight(cors: Record<string, string>): Response {
  const headers = new Headers(cors);
  if (Object.keys(cors).length > 0) {
    headers.set("access-control-allow-methods", "GET, POST, OPTIONS");
    headers.set("access-control-allow-headers", "authorization, content-type");
    headers.set("access-control-max-age", "600");
  }
  return new Response(null, { status: 204, headers });
}

const encoder = new TextEncoder();

/** Whether `Authorization: Bearer <key>` matches, compared in constant time. */
export function keyMatches(request: Request, key: string): boolean {
  const header = request.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = encoder.encode(m?.[1] ?? "");
  const want = encoder.encode(key);
  let diff = given.length ^ want.length;
  for (let i = 0; i < want.length; i++) diff |= want[i]! ^ (given[i % (given.length || 1)] ?? 0);
  return diff === 0;
}
