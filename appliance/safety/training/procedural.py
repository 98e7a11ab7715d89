"""Domain randomisation for the spill detector: shelves drawn with PIL and numpy, for training only.

The simulator's renderer draws every shelf the same way (three wooden or metal tiers, QR-labelled
bottles, SVG hazards), and a network trained on it alone learns that drawing. These images vary
what the renderer keeps fixed: random surface textures (grain, grids, dots, noise, brushed metal,
any colour), any number of boards at any height, the camera's distance and tilt, light falling off
from a spot, and hazards drawn otherwise (noise-thresholded liquid films with rims and glints,
drops, runs; fragments of glass with bright and dark edges, crack fans, broken bottles), with
look-alikes on every kind of image (opaque stickers and labels, paper, cables, shadows, highlights,
clear and coloured bottles). Every image is a pure function of its seed.

make_set(first_seed, count) -> (uint8 images (n, 256, 448, 3), boxes [[(kind, (x0, y0, x1, y1))]])
with kind 0 spill, 1 breakage and boxes as fractions of the frame.
"""
import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

H, W = 256, 448
# Drawn a little larger than the model's input, then scaled down as a camera would.
S = 1.25
HH, WW = int(H * S), int(W * S)


def smooth_noise(rng, h, w, scale):
    """Value noise: a small random grid scaled up bicubically, in -1..1."""
    gh, gw = max(2, int(h / scale)), max(2, int(w / scale))
    g = Image.fromarray((rng.random((gh, gw)) * 255).astype(np.uint8))
    return np.asarray(g.resize((w, h), Image.BICUBIC), dtype=np.float32) / 127.5 - 1


def rand_colour(rng, lo=0, hi=255):
    return rng.uniform(lo, hi, 3)


def surface(rng, h, w):
    """One board or wall surface (h, w, 3) float 0..255."""
    base = rand_colour(rng, 20, 240)
    if rng.random() < 0.5:
        # Mostly greyish boards, as cabinets are.
        grey = rng.uniform(30, 235)
        base = grey + (base - grey) * rng.uniform(0, 0.5)
    img = np.ones((h, w, 3), np.float32) * base
    kind = rng.integers(0, 7)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:  # wood grain
        f = rng.uniform(0.01, 0.06)
        warp = smooth_noise(rng, h, w, 60) * rng.uniform(5, 30)
        k = 1 + rng.uniform(0.03, 0.12) * np.sin((yy + warp) * f * 6 + xx * rng.uniform(0, 0.01))
        img *= k[..., None]
    elif kind == 1:  # tiles / grid lines
        p = rng.uniform(40, 160)
        lw = rng.uniform(1.5, 5)
        line = ((xx % p) < lw) | (((yy + rng.uniform(0, p)) % p) < lw)
        img[line] *= rng.uniform(0.5, 0.85)
    elif kind == 2:  # perforated: holes on a grid
        p = rng.uniform(12, 30)
        r = p * rng.uniform(0.15, 0.3)
        hole = ((xx % p) - p / 2) ** 2 + ((yy % p) - p / 2) ** 2 < r * r
        img[hole] = rand_colour(rng, 0, 60)
    elif kind == 3:  # brushed metal
        streak = smooth_noise(rng, h, 4, 2)
        k = 1 + 0.08 * np.repeat(streak, w // 4 + 1, axis=1)[:, :w]
        img *= k[..., None]
    elif kind == 4:  # speckled / epoxy / concrete
        img *= (1 + 0.06 * smooth_noise(rng, h, w, 6) + 0.04 * smooth_noise(rng, h, w, 40))[..., None]
    elif kind == 5:  # ribbed rubber mat
        p = rng.uniform(8, 24)
        img *= (1 + 0.08 * np.sign(np.sin(xx * 2 * math.pi / p)))[..., None]
    # kind 6: plain
    img *= (1 + rng.uniform(0, 0.05) * smooth_noise(rng, h, w, rng.uniform(20, 200)))[..., None]
    return img


def background(rng):
    """Wall and boards: one to four boards seen from any height, or a single board filling the frame."""
    img = surface(rng, HH, WW)
    wall = surface(rng, HH, WW) * rng.uniform(0.4, 0.9)
    boards = []  # (top_y, bottom_y): where things stand and hazards lie
    if rng.random() < 0.4:
        top = int(HH * rng.uniform(0.0, 0.45))
        img[:top] = wall[:top]
        boards.append((top, HH))
    else:
        n = int(rng.integers(1, 4))
        edges = np.sort(rng.uniform(0.2, 1.0, n)) * HH
        prev = 0
        for e in edges:
            depth = int(HH * rng.uniform(0.05, 0.2))
            t = max(prev, int(e) - depth)
            img[prev:t] = wall[prev:t]
            boards.append((t, int(e)))
            prev = int(e) + int(rng.uniform(2, 14))
        img[prev:] = wall[prev:]
        if prev < HH - 20:
            boards.append((prev, HH))
    # Front lips of the boards.
    for t, b in boards:
        if b < HH - 4:
            lip = rand_colour(rng, 60, 250)
            img[b : b + int(rng.uniform(3, 12))] = lip
    return img, boards


def composite(img, layer):
    """Alpha-composites an RGBA PIL layer (WW x HH) onto the float image."""
    bb = layer.getbbox()
    if not bb:
        return
    x0, y0, x1, y1 = bb
    a = np.asarray(layer.crop(bb), dtype=np.float32)
    alpha = a[..., 3:4] / 255
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - alpha) + a[..., :3] * alpha


def rgba(c, a):
    return tuple(int(v) for v in np.clip(c, 0, 255)) + (int(np.clip(a, 0, 1) * 255),)


def place(rng, boards):
    t, b = boards[int(rng.integers(len(boards)))]
    y = rng.uniform(t + (b - t) * 0.2, b - 2) if b - t > 6 else b
    return rng.uniform(0.04, 0.96) * WW, y


def blob_mask(rng, cx, cy, r, squash):
    """An irregular liquid outline: thresholded noise plus a few merged discs, as a bool mask."""
    x0, x1 = int(max(0, cx - 2 * r)), int(min(WW, cx + 2 * r))
    y0, y1 = int(max(0, cy - r * squash * 2)), int(min(HH, cy + r * squash * 2))
    mask = np.zeros((HH, WW), bool)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return mask
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    f = np.zeros_like(xx)
    for _ in range(int(rng.integers(1, 7))):
        bx = cx + rng.uniform(-0.8, 0.8) * r
        by = cy + rng.uniform(-0.5, 0.5) * r * squash
        s = r * rng.uniform(0.3, 0.8)
        f += s * s / ((xx - bx) ** 2 + ((yy - by) / squash) ** 2 + 1)
    f += 0.25 * smooth_noise(rng, y1 - y0, x1 - x0, max(3, r / 3))
    mask[y0:y1, x0:x1] = f > 1
    return mask


def liquid(rng, img, cx, cy, r):
    """A liquid film: translucent over what lies under it, often a rim, glints; returns its mask."""
    squash = rng.uniform(0.25, 0.7)
    shape = rng.random()
    mask = np.zeros((HH, WW), bool)
    if shape < 0.55:
        mask |= blob_mask(rng, cx, cy, r, squash)
    elif shape < 0.8:  # drops and splashes
        for _ in range(int(rng.integers(3, 14))):
            a = rng.uniform(0, 2 * math.pi)
            d = math.sqrt(rng.random()) * r
            mask |= blob_mask(rng, cx + math.cos(a) * d, cy + math.sin(a) * d * squash, r * rng.uniform(0.1, 0.3), squash)
    else:  # a run along the board and over its edge
        mask |= blob_mask(rng, cx, cy, r, squash * 0.4)
        dx = int(cx + rng.uniform(-0.5, 0.5) * r)
        ln = int(r * rng.uniform(0.3, 1.0))
        mask[int(cy) : min(HH, int(cy) + ln), max(0, dx - 3) : dx + 3] = True
    if not mask.any():
        return mask
    colour = rand_colour(rng)
    if rng.random() < 0.25:  # water, solvents: nearly clear
        colour = np.array([230, 235, 240]) * rng.uniform(0.7, 1.0)
    alpha = rng.uniform(0.25, 0.85)
    under = img[mask]
    # A film darkens and saturates what is under it (wet), then tints it.
    wet = under * rng.uniform(0.55, 0.95)
    img[mask] = wet * (1 - alpha) + colour * alpha
    if rng.random() < 0.7:
        ys, xs = np.nonzero(mask)
        y0, y1, x0, x1 = max(0, ys.min() - 4), ys.max() + 5, max(0, xs.min() - 4), xs.max() + 5
        m = Image.fromarray(mask[y0:y1, x0:x1].astype(np.uint8) * 255)
        edge = np.asarray(m.filter(ImageFilter.MaxFilter(3)), bool) & ~np.asarray(m.filter(ImageFilter.MinFilter(3)), bool)
        k = rng.uniform(0.4, 0.8) if rng.random() < 0.7 else rng.uniform(1.1, 1.4)
        part = img[y0:y1, x0:x1]
        part[edge] = np.clip(part[edge] * k, 0, 255)
    layer = Image.new("RGBA", (WW, HH), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    ys, xs = np.nonzero(mask)
    for _ in range(int(rng.integers(0, 5))):
        i = int(rng.integers(len(xs)))
        gw, gh = rng.uniform(1, r * 0.3), rng.uniform(1, r * 0.08)
        d.ellipse([xs[i] - gw, ys[i] - gh, xs[i] + gw, ys[i] + gh], fill=rgba([255, 255, 255], rng.uniform(0.3, 0.8)))
    composite(img, layer)
    return mask


def glass(rng, img, cx, cy, r):
    """Broken glass: fragments with bright and dark edges, crack lines, sometimes a broken bottle."""
    layer = Image.new("RGBA", (WW, HH), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    tint = rng.choice([np.array([225, 238, 242]), np.array([140, 90, 35]), np.array([60, 120, 70]), rand_colour(rng)])
    squash = rng.uniform(0.3, 0.7)
    pts_all = []
    for _ in range(int(rng.integers(6, 30))):
        a = rng.uniform(0, 2 * math.pi)
        dist = math.sqrt(rng.random()) * r
        sx, sy = cx + math.cos(a) * dist, cy + math.sin(a) * dist * squash
        size = r * rng.uniform(0.05, 0.25) + 1.5
        k = int(rng.integers(3, 6))
        pts = []
        for j in range(k):
            b = j / k * 2 * math.pi + rng.uniform(0, 1)
            q = size * rng.uniform(0.3, 1.1)
            pts.append((sx + math.cos(b) * q, sy + math.sin(b) * q * 0.6))
        edge = [255, 255, 255] if rng.random() < 0.6 else [25, 30, 35]
        d.polygon(pts, fill=rgba(tint, rng.uniform(0.3, 0.8)), outline=rgba(edge, 0.9))
        pts_all += pts
    for _ in range(int(rng.integers(0, 9))):
        x, y = cx, cy
        a = rng.uniform(0, 2 * math.pi)
        path = [(x, y)]
        for _ in range(int(rng.integers(2, 6))):
            a += rng.uniform(-0.5, 0.5)
            step = r / 4 * rng.uniform(0.5, 1.3)
            x, y = x + math.cos(a) * step, y + math.sin(a) * step * squash
            path.append((x, y))
        d.line(path, fill=rgba([245, 250, 255] if rng.random() < 0.7 else [20, 20, 20], 0.85), width=int(rng.integers(1, 4)))
        pts_all += path
    if rng.random() < 0.35:
        # A bottle on its side with a jagged broken end.
        ln, th = r * rng.uniform(0.8, 1.6), r * rng.uniform(0.25, 0.5)
        x0, x1 = cx - ln, cx
        body = [(x0, cy - th / 2), (x1, cy - th / 2)]
        for i in range(6):
            body.append((x1 + rng.uniform(-0.2, 0.5) * th, cy - th / 2 + th * (i + 0.5) / 6))
        body += [(x1, cy + th / 2), (x0, cy + th / 2)]
        d.polygon(body, fill=rgba(tint, rng.uniform(0.5, 0.9)), outline=rgba([255, 255, 255], 0.7))
        pts_all += body
    composite(img, layer)
    p = np.array(pts_all)
    return p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()


def bottle(rng, img, x, bottom, s):
    """A container, clear or coloured, with a plain label; sometimes a shiny band."""
    layer = Image.new("RGBA", (WW, HH), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    clear = rng.random() < 0.3
    c = np.array([210, 225, 230]) if clear else rand_colour(rng)
    a = rng.uniform(0.25, 0.5) if clear else rng.uniform(0.85, 1)
    bw, bh = s * rng.uniform(0.35, 0.9), s * rng.uniform(0.8, 1.8)
    for i in range(8):
        f = 0.55 + 0.45 * math.sin((i + 0.5) / 8 * math.pi)
        x0 = x - bw / 2 + bw * i / 8
        d.rectangle([x0, bottom - bh, x0 + bw / 8 + 1, bottom], fill=rgba(c * f, a))
    d.rectangle([x - bw * 0.2, bottom - bh - bw * 0.35, x + bw * 0.2, bottom - bh], fill=rgba(rand_colour(rng), 1))
    if rng.random() < 0.8:
        ly = bottom - bh * rng.uniform(0.3, 0.6)
        d.rectangle([x - bw * 0.42, ly - bh * 0.15, x + bw * 0.42, ly + bh * 0.15], fill=rgba(rand_colour(rng, 180, 255), 1))
        for k in range(int(rng.integers(1, 4))):
            yl = ly - bh * 0.1 + k * bh * 0.07
            d.line([(x - bw * 0.3, yl), (x + bw * rng.uniform(0, 0.3), yl)], fill=rgba([30, 30, 30], 0.8), width=2)
    if rng.random() < 0.5:
        d.rectangle([x - bw * 0.3, bottom - bh, x - bw * 0.2, bottom], fill=rgba([255, 255, 255], rng.uniform(0.2, 0.6)))
    composite(img, layer)


def lookalike(rng, img, boards):
    """Something on a shelf that is not a hazard."""
    layer = Image.new("RGBA", (WW, HH), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    x, y = place(rng, boards)
    k = rng.random()
    s = HH * rng.uniform(0.03, 0.15)
    if k < 0.2:  # paper, tags
        t = rng.uniform(0, math.pi)
        w, h = s * rng.uniform(0.7, 2), s * rng.uniform(0.4, 1)
        pts = [(x + u * math.cos(t) - v * math.sin(t) * 0.5, y + u * math.sin(t) * 0.5 + v * math.cos(t)) for u, v in [(-w, -h), (w, -h), (w, h), (-w, h)]]
        d.polygon(pts, fill=rgba(rand_colour(rng, 200, 255), 1))
        for j in range(int(rng.integers(0, 4))):
            d.line([(x - w * 0.6, y - h * 0.5 + j * h * 0.35), (x + w * 0.3, y - h * 0.5 + j * h * 0.35)], fill=rgba([40, 40, 40], 0.7), width=2)
    elif k < 0.35:  # stickers: opaque, regular
        c = rand_colour(rng)
        if rng.random() < 0.5:
            d.ellipse([x - s * 0.3, y - s * 0.3, x + s * 0.3, y + s * 0.3], fill=rgba(c, 1))
        else:
            d.rectangle([x - s * 0.4, y - s * 0.15, x + s * 0.4, y + s * 0.15], fill=rgba(c, 1))
    elif k < 0.5:  # cables, pens, tubing
        d.line([(x, y), (x + rng.uniform(-1, 1) * s * 4, y + rng.uniform(-0.3, 0.3) * s * 2)], fill=rgba(rand_colour(rng), 1), width=int(rng.integers(3, 10)))
    elif k < 0.7:  # soft shadow
        blob = Image.new("L", (WW, HH), 0)
        ImageDraw.Draw(blob).ellipse([x - s * 2, y - s * 0.4, x + s * 2, y + s * 0.4], fill=int(rng.uniform(60, 160)))
        blob = np.asarray(blob.filter(ImageFilter.GaussianBlur(s * 0.3)), np.float32) / 255
        img *= (1 - blob)[..., None]
        return
    elif k < 0.85:  # highlight, reflection
        blob = Image.new("L", (WW, HH), 0)
        if rng.random() < 0.5:
            ImageDraw.Draw(blob).ellipse([x - s * 3, y - s * 0.1, x + s * 3, y + s * 0.1], fill=int(rng.uniform(60, 180)))
        else:
            ImageDraw.Draw(blob).ellipse([x - s * 0.15, y - s * 2, x + s * 0.15, y + s], fill=int(rng.uniform(60, 180)))
        blob = np.asarray(blob.filter(ImageFilter.GaussianBlur(s * 0.15 + 1)), np.float32) / 255
        img[:] = img * (1 - blob[..., None]) + 255 * blob[..., None]
        return
    else:  # a stain painted into the board: dull, opaque, no glints (a hard negative)
        d.ellipse([x - s, y - s * 0.3, x + s, y + s * 0.3], fill=rgba(img[int(min(HH - 1, y)), int(min(WW - 1, x))] * rng.uniform(0.8, 0.95), 1))
    composite(img, layer)


def camera(rng, img):
    """Light falling off from a spot, colour of the light, tilt, blur, noise, JPEG; to 448x256 uint8."""
    yy, xx = np.mgrid[0:HH, 0:WW].astype(np.float32)
    lx, ly = rng.uniform(0, WW), rng.uniform(-0.3, 0.6) * HH
    fall = 1 - rng.uniform(0.1, 0.6) * np.minimum(1, ((xx - lx) ** 2 + (yy - ly) ** 2) / (WW * WW))
    temp = rng.uniform(-0.5, 0.5)
    gain = np.array([1 + temp * 0.3, 1, 1 - temp * 0.35]) * rng.uniform(0.55, 1.3)
    img = img * fall[..., None] * gain
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    angle = rng.uniform(-5, 5)
    if abs(angle) > 0.5:
        im = im.rotate(angle, resample=Image.BILINEAR, expand=False)
        m = int(math.ceil(abs(math.sin(math.radians(angle))) * max(WW, HH) * 0.6))
        im = im.crop((m, m, WW - m, HH - m))
    crop = im.size
    # Keystone: the camera looks down or up at the shelf.
    k = rng.uniform(-0.12, 0.12) * crop[0]
    quad = (0 + max(0, k), 0, 0 + max(0, -k), crop[1], crop[0] - max(0, -k), crop[1], crop[0] - max(0, k), 0)
    im = im.transform(crop, Image.QUAD, quad, resample=Image.BILINEAR)
    im = im.resize((W, H), Image.BILINEAR)
    blur = rng.uniform(0, 1.3)
    if blur > 0.3:
        im = im.filter(ImageFilter.GaussianBlur(blur))
    a = np.asarray(im, np.float32) + rng.normal(0, rng.uniform(0, 6), (H, W, 3))
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=int(rng.integers(55, 95)))
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")), (crop, angle, quad)


def warp_box(box, geom):
    """A box (frame pixels at draw size) through the rotation crop and keystone, as fractions."""
    (cw, ch), angle, quad = geom
    x0, y0, x1, y1 = box
    m = (WW - cw) / 2
    cx, cy = WW / 2, HH / 2
    t = math.radians(angle)
    pts = []
    for x, y in [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]:
        # PIL rotates counter-clockwise about the centre.
        dx, dy = x - cx, y - cy
        rx = cx + dx * math.cos(t) + dy * math.sin(t) - m
        ry = cy - dx * math.sin(t) + dy * math.cos(t) - m
        # Inverse of the quad map: a source x at row v maps to (x - left(v)) / (right(v) - left(v)).
        v = min(1, max(0, ry / ch))
        left = quad[0] + (quad[2] - quad[0]) * v
        right = quad[6] + (quad[4] - quad[6]) * v
        pts.append(((rx - left) / (right - left), ry / ch))
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return tuple(float(min(1, max(0, v))) for v in (min(xs), min(ys), max(xs), max(ys)))


def draw(seed):
    rng = np.random.default_rng(seed)
    img, boards = background(rng)
    roll = rng.random()
    kinds = []
    if 0.4 <= roll < 0.72:
        kinds = [0]
    elif roll >= 0.72:
        kinds = [1] if roll < 0.92 else [1, 0]
    for _ in range(int(rng.integers(0, 6))):
        lookalike(rng, img, boards)
    boxes = []
    for kind in kinds:
        cx, cy = place(rng, boards)
        # Hazards lie well inside the frame: the rotation and keystone crop its borders.
        cx = min(max(cx, 0.15 * WW), 0.85 * WW)
        cy = min(max(cy, 0.12 * HH), 0.9 * HH)
        r = HH * (rng.uniform(0.04, 0.18) if kind == 0 else rng.uniform(0.04, 0.14))
        if kind == 0:
            mask = liquid(rng, img, cx, cy, r)
            if not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        else:
            box = glass(rng, img, cx, cy, r)
        boxes.append((kind, box))
    for _ in range(int(rng.integers(0, 8))):
        x, y = place(rng, boards)
        # Containers stand back from the hazards so that the hazards stay in sight.
        if any(b[0] - 20 < x < b[2] + 20 and y > b[1] - 10 for _, b in boxes):
            continue
        bottle(rng, img, x, y, HH * rng.uniform(0.1, 0.35))
    out, geom = camera(rng, img)
    return out, [(k, warp_box(b, geom)) for k, b in boxes]


def make_set(first_seed, count):
    images = np.empty((count, H, W, 3), np.uint8)
    boxes = []
    for i in range(count):
        images[i], b = draw(first_seed + i)
        boxes.append(b)
    return images, boxes
