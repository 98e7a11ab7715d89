// SVG of a label layout: previews, and the pixels the tests read the code back from (via sharp).
import { type GhsCode, type Paint, pictogramShapes, placeShapes, type Shape } from "./ghs.js";
import { DOTS_PER_MM, type LabelLayout } from "./layout.js";
import { isDark } from "./symbology.js";

export const PAINT_RGB: Record<Paint, string> = { red: "#e30613", black: "#000000", white: "#ffffff" };

const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

function pathData(shape: Shape): string {
  return shape.rings.map((ring) => `M${ring.map(([x, y]) => `${x} ${y}`).join("L")}Z`).join("");
}

/** One GHS pictogram as a standalone SVG document (the kiosk shows them beside each container). */
export function pictogramSvg(code: GhsCode): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${pictogramShapes(code).map(shapePath).join("")}</svg>\n`;
}

const shapePath = (shape: Shape) =>
  `<path d="${pathData(shape)}" fill="${PAINT_RGB[shape.fill]}" fill-rule="evenodd"/>`;

/** A standalone SVG document, `viewBox` in dots, physical size in mm. */
export function renderSvg(layout: LabelLayout): string {
  const { width: W, height: H } = layout;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W / DOTS_PER_MM}mm" height="${H / DOTS_PER_MM}mm" viewBox="0 0 ${W} ${H}">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
  ];
  for (const item of layout.items) {
    if (item.kind === "symbol") {
      const { matrix: mx, module: mod } = item;
      let d = "";
      for (let y = 0; y < mx.rows; y++) {
        for (let x = 0; x < mx.cols; x++) {
          if (isDark(mx, x, y)) d += `M${item.x + x * mod} ${item.y + y * mod}h${mod}v${mod}h${-mod}Z`;
        }
      }
      out.push(`<path d="${d}" fill="#000000" shape-rendering="crispEdges"/>`);
    } else if (item.kind === "pictogram") {
      for (const shape of placeShapes(pictogramShapes(item.code), item.x, item.y, item.size))
        out.push(shapePath(shape));
    } else {
      const family = item.mono ? "Courier New, Courier, monospace" : "Helvetica, Arial, sans-serif";
      out.push(
        `<text x="${item.x}" y="${item.y + Math.round(item.height * 0.8)}" font-family="${family}" font-size="${item.height}"${item.bold ? ' font-weight="bold"' : ""} fill="#000000">${esc(item.text)}</text>`,
      );
    }
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
