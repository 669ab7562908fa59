/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/** Reads stdin line by line (for --jsonl). */
export async function* stdinLines(): AsyncGenerator<string> {
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    buf += dec.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  buf += dec.decode();
  if (buf.length > 0) yield buf;
}

const enc = new TextEncoder();

/** Writes text to stdout. */
export async function write(text: string): Promise<void> {
  await Deno.stdout.write(enc.encode(text));
}
