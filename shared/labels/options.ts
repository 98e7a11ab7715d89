// The choices a label request names: size, output format, symbology and PDF page. Kept apart from the
// renderers (pdfkit, bwip-js) so that a caller listing them, such as `lilo label --help`, loads neither.
export const LABEL_SIZE_NAMES = ["vial", "small", "bottle", "large"] as const;
export type LabelSize = (typeof LABEL_SIZE_NAMES)[number];

export const LABEL_FORMATS = ["pdf", "zpl", "svg"] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

export const SYMBOLOGIES = ["qr", "microqr", "rmqr", "datamatrix"] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

/** "a4" and "letter": sheets of labels; "label": one page per label at its own size. */
export const PAGE_KINDS = ["a4", "letter", "label"] as const;
export type PageKind = (typeof PAGE_KINDS)[number];
