// A GHS hazard pictogram drawn from the same shapes the printed labels use (shared/labels/ghs.ts).
import { GHS_NAMES, type GhsCode, normalizeGhs, pictogramShapes } from "../../../../shared/labels/ghs.js";

const PAINT = { red: "#e30613", black: "#000000", white: "#ffffff" } as const;

export function GhsPictogram({ code, size = 48 }: { code: string; size?: number }) {
  const ghs: GhsCode | undefined = normalizeGhs(code);
  if (!ghs) return <span class="tag">{code}</span>;
  const name = GHS_NAMES[ghs];
  return (
    <svg
      class="ghs"
      width={size}
      height={size}
      viewBox="0 0 100 100"
      role="img"
      aria-label={`${ghs}: ${name}`}
    >
      <title>{`${ghs}: ${name}`}</title>
      {pictogramShapes(ghs).map((shape, i) => (
        <path
          key={i}
          d={shape.rings.map((ring) => `M${ring.map(([x, y]) => `${x} ${y}`).join("L")}Z`).join("")}
          fill={PAINT[shape.fill]}
          fill-rule="evenodd"
        />
      ))}
    </svg>
  );
}

export const ghsName = (code: string) => {
  const ghs = normalizeGhs(code);
  return ghs ? GHS_NAMES[ghs] : code;
};
