/**
 * Reads a `tokenizer.json` decoder configuration into per-token bytes, so that decoding and
 * streaming work token by token: byte-level (GPT-2 alphabet) or SentencePiece-style
 * (`▁` for spaces, `<0xXX>` byte fallback, the first space stripped).
 *
 * @module
 */
import { byteLevelDecode } from "./_byte_level.ts";

const encoder = new TextEncoder();

/** How a vocabulary piece becomes bytes. */
export interface PieceDecoder {
  /** The bytes of a (non-added) piece, or undefined when the decoder is not understood. */
  readonly pieceBytes: ((piece: string) => Uint8Array) | undefined;
  /** Whether the decoder drops the first token's leading space. */
  readonly stripLeadingSpace: boolean;
}

interface DecoderConfig {
  readonly type?: string;
  readonly decoders?: readonly DecoderConfig[];
  readonly replacement?: string;
  readonly prepend_scheme?: string;
  readonly add_prefix_space?: boolean;
  readonly pattern?: { readonly String?: string };
  readonly content?: string;
  readonly start?: number;
}

function flatten(config: DecoderConfig | null | undefined, out: DecoderConfig[]): DecoderConfig[] {
  if (config === null || config === undefined || typeof config !== "object") return out;
  if (config.type === "Sequence") { for (const d of config.decoders ?? []) flatten(d, out); }
  else out.push(config);
  return out;
}

/** Understands the decoder of a `tokenizer.json`. */
export function pieceDecoder(decoder: unknown): PieceDecoder {
  const steps = flatten(decoder as DecoderConfig | null, []);
  if (steps.some((d) => d.type === "ByteLevel")) {
    return { pieceBytes: byteLevelDecode, stripLeadingSpace: false };
  }
  const byteFallback = steps.some((d) => d.type === "ByteFallback");
  const metaspace = steps.find((d) => d.type === "Metaspace");
  const replace = steps.find((d) => d.type === "Replace" && d.content === " " && d.pattern?.String);
  const marker = metaspace ? metaspace.replacement ?? "\u2581" : replace?.pattern?.String;
  if (marker === undefined) return { pieceBytes: undefined, stripLeadingSpace: false };
  const fuse = steps.findIndex((d) => d.type === "Fuse");
  const strip = steps.findIndex((d) =>
    d.type === "Strip" && d.content === " " && (d.start ?? 0) > 0
  );
  const stripLeadingSpace = metaspace
    ? metaspace.prepend_scheme !== "never" && metaspace.add_prefix_space !== false
    : strip >= 0 && fuse >= 0 && fuse < strip;
  return {
    pieceBytes: (piece) => {
      if (byteFallback) {
        const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
        if (m) return Uint8Array.of(parseInt(m[1]!, 16));
      }
      return encoder.encode(piece.replaceAll(marker, " "));
    },
    stripLeadingSpace,
  };
}
