#!/usr/bin/python3
"""Trains the spill and breakage detector and exports it to ONNX.

Reads the renderer's sets written by build-dataset.ts (`train.bin`/`.json`, `val.bin`/`.json`: RGB
448x256 uint8 images and hazard boxes), adds shelves drawn by procedural.py (other surfaces, light,
camera and hazards: domain randomisation; seeds 10,000,000+ for training and 20,000,000+ for
validation), trains a small fully convolutional network that scores every 16x16 cell of the shelf
for "spill" and "breakage", picks the thresholds on the validation sets only and writes the ONNX
file plus a JSON of its metrics next to it.

Usage: /usr/bin/python3 train.py DATA_DIR OUT.onnx [--epochs N] [--procedural N] [--procedural-val N]
       [--threads N] [--seed N] [--lr X] [--neg-weight X] [--resume DATA_DIR/OTHER.onnx.pt]
       [--init-onnx OTHER.onnx] [--mine X] [--mine-every N] [--extra-train NAME] [--extra-val NAME]
       [--width X] [--mirror] [--zoom 1.5] [--export-only] [--clean-quantile Q]
The weights are kept in DATA_DIR/OUT.onnx.pt at every checkpoint, for --resume, and each checkpoint's
ONNX file also as DATA_DIR/OUT-eEPOCH.onnx (with its .json), so a checkpoint can be chosen on
validation. --init-onnx starts from an exported model instead (its batch norms are folded into the
convolutions; they are unfolded exactly, see weights_from_onnx). --mine X draws hard examples: every
--mine-every epochs the whole training shelves are scored, and shelves whose worst clean cell scores
high (or whose hazard scores low) are drawn up to 1+X times as often, their crops centred on that
cell half the time (see mine). --extra-train / --extra-val add other rendered sets of DATA_DIR
(build-dataset.ts --splits, e.g. the close-up hard negatives train-close and val-close) to the
training shelves and to the rendered validation shelves the thresholds are chosen on. The network trains in
channels-last layout (2.4x faster on this CPU) while a worker process draws the next batch. A rendered
hazard is learnt where the camera sees it (`seenBox`); one that shows less than IN_SIGHT_SHARE of the
frame (behind a bottle, cut by the frame's edge) is ignored, neither a target nor clean (hazard_entry).
--export-only writes the graph and thresholds of the weights --resume or --init-onnx names without
training (only the validation shelves are loaded); --mirror and --zoom 1.5 choose the graph (see
Exported; the zoomed graph was measured and not shipped, bench/NOTEBOOK.md 2026-12-07 evening).
Needs Debian's python3-torch and python3-onnx (apt-get install python3-torch python3-onnx).
"""
import argparse
import copy
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procedural  # noqa: E402

H, W, STRIDE = 256, 448, 16
GH, GW = H // STRIDE, W // STRIDE
KINDS = ["spill", "breakage"]
PROCEDURAL_SEEDS = {"train": 10_000_000, "val": 20_000_000}


def load_rendered(data_dir, split):
    meta = json.load(open(f"{data_dir}/{split}.json"))
    assert meta["width"] == W and meta["height"] == H
    images = np.fromfile(f"{data_dir}/{split}.bin", dtype=np.uint8)
    images = images.reshape(len(meta["images"]), H, W, 3)
    boxes = [[hazard_entry(h) for h in m["hazards"]] for m in meta["images"]]
    return images, boxes


# Share of the frame a hazard must show to be in sight (IN_SIGHT_SHARE in appliance/sim/shelf-hazards.ts).
IN_SIGHT_SHARE = 0.001
# A hazard out of sight (behind a bottle, cut by the frame) is entered as kind + HIDDEN: no target
# and no clean cell where it lies, and its shelf neither a positive nor a clean one.
HIDDEN = len(KINDS)


def hazard_entry(h):
    """(kind, box) as training uses it: the box the camera sees (build-dataset.ts's `seenBox`), or
    the hazard marked hidden when it shows less than IN_SIGHT_SHARE of the frame. Sets written
    before `seen` existed keep their drawn boxes."""
    k = KINDS.index(h["kind"])
    if "seen" not in h:
        return (k, tuple(h["box"]))
    if h["seen"] < IN_SIGHT_SHARE or not h.get("seenBox"):
        return (k + HIDDEN, tuple(h["box"]))
    return (k, tuple(h["seenBox"]))


def load_rendered_sets(data_dir, splits):
    """Several rendered sets, one after another."""
    sets = [load_rendered(data_dir, split) for split in splits]
    if len(sets) > 1:
        print("rendered " + ", ".join(f"{split} {len(b)}" for split, (_, b) in zip(splits, sets)), flush=True)
    return np.concatenate([x for x, _ in sets]), [box for _, b in sets for box in b]


def load_procedural(data_dir, split, count):
    """procedural.py's shelves, drawn once and kept next to the rendered ones."""
    path = f"{data_dir}/procedural-{split}-{count}"
    if not os.path.exists(f"{path}.npy"):
        t0 = time.time()
        images, boxes = procedural.make_set(PROCEDURAL_SEEDS[split], count)
        np.save(f"{path}.npy", images)
        json.dump(boxes, open(f"{path}.json", "w"))
        print(f"drew {count} procedural {split} shelves in {time.time() - t0:.0f}s", flush=True)
    images = np.load(f"{path}.npy")
    boxes = [[(k, tuple(b)) for k, b in bs] for bs in json.load(open(f"{path}.json"))]
    return images, boxes


class Detector(nn.Module):
    """Fully convolutional: 16x16 cells, receptive field ~110 px, so it judges what lies on the board
    round a spot and not the layout of the whole cabinet."""

    CHANNELS = (12, 24, 40, 40, 64, 64)

    def __init__(self, width=1.0):
        super().__init__()

        def block(i, o, stride, dil=1):
            return [nn.Conv2d(i, o, 3, stride, padding=dil, dilation=dil, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

        c = [int(round(n * width)) for n in self.CHANNELS]
        self.channels = c
        self.body = nn.Sequential(
            *block(3, c[0], 2),
            *block(c[0], c[1], 2),
            *block(c[1], c[2], 2),
            *block(c[2], c[3], 1),
            *block(c[3], c[4], 2),
            *block(c[4], c[5], 1, 2),
        )
        self.head = nn.Conv2d(c[5], 2, 1)

    def forward(self, x):
        return self.head(self.body(x))


def normalise(x):
    """Grey-world white balance: each channel over its mean across the image, so the colour and level
    of the cabinet's light drop out. x: (N,3,H,W) RGB 0..1 of the whole shelf."""
    return x / (x.mean(dim=(2, 3), keepdim=True) + 0.03) - 1


def mirrored(x):
    """x flipped left to right (a Gather in the exported graph)."""
    return x.index_select(3, torch.arange(x.shape[3] - 1, -1, -1))


class Exported(nn.Module):
    """What ships: RGB in 0..1 (N,3,256,448) in, cell scores in 0..1 (N,2,16,28) out. With `mirror`,
    each cell's score is the mean of the shelf's and its mirror image's (the mirror image's cells
    flipped back): a look-alike that fires one way seldom fires the other, a hazard fires both ways.
    On validation (spill-v6), spill recall at the same false-alarm rule went from 61 to 72 %, for
    two passes of the network.

    With `zoom` 1.5, the graph also looks at the shelf scaled up half again (672x384, bilinear) and
    each cell's score is the mean of its own and the highest of the 1.5x cells over the same area
    (the 1.5x map upsampled twice, nearest, then the maximum over 3x3 blocks: three half-cells of
    the larger map are one cell of the shelf). A spill a few pixels across spans more of the
    network's first strides. On validation (spill-v8's weights), spill recall at the same
    false-alarm rule went from 64.0 to 74.4 %, but on the held-out sets only from 75.7 to 77.4 %
    (test split) and 69.3 to 72.0 % (alt-scenes), alt-scenes breakage fell from 60 to 56 % and
    the false alarms rose from two to three, for 2.4 times the time a shelf: not shipped."""

    def __init__(self, net, mirror=False, zoom=1.0):
        super().__init__()
        if zoom not in (1.0, 1.5):
            raise ValueError(f"zoom {zoom}: only 1 (none) and 1.5 are exported")
        self.net = net
        self.mirror = mirror
        self.zoom = zoom

    def look(self, x):
        s = torch.sigmoid(self.net(normalise(x)))
        if not self.mirror:
            return s
        return (s + mirrored(torch.sigmoid(self.net(normalise(mirrored(x)))))) / 2

    def forward(self, x):
        s = self.look(x)
        if self.zoom == 1.0:
            return s
        h, w = x.shape[2], x.shape[3]
        large = self.look(F.interpolate(x, size=(h * 3 // 2, w * 3 // 2), mode="bilinear", align_corners=False))
        return (s + F.max_pool2d(F.interpolate(large, scale_factor=2.0, mode="nearest"), 3, 3)) / 2


CROP_H, CROP_W = 128, 192


def targets(boxes, ignore, n, gh, gw):
    """Cell targets (n,2,gh,gw) and weights: 1 inside a hazard's ellipse, ignored on its rim and
    wherever a hazard was cut by the crop."""
    t = torch.zeros(n, 2, gh, gw)
    w = torch.ones(n, 2, gh, gw)
    cy = (torch.arange(gh).float() + 0.5) / gh
    cx = (torch.arange(gw).float() + 0.5) / gw
    yy, xx = torch.meshgrid(cy, cx, indexing="ij")
    for i, bs in enumerate(ignore):
        for k, (x0, y0, x1, y1) in bs:
            w[i, k][(xx >= x0 - 0.5 / gw) & (xx <= x1 + 0.5 / gw) & (yy >= y0 - 0.5 / gh) & (yy <= y1 + 0.5 / gh)] = 0
    for i, bs in enumerate(boxes):
        for k, (x0, y0, x1, y1) in bs:
            if x1 - x0 < 1e-3 or y1 - y0 < 1e-3:
                continue
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            rx = max((x1 - x0) / 2, 0.5 / gw)
            ry = max((y1 - y0) / 2, 0.5 / gh)
            d = ((xx - mx) / rx) ** 2 + ((yy - my) / ry) ** 2
            inside = d <= 0.8
            rim = (d <= 2.2) & ~inside
            w[i, k][rim & (t[i, k] == 0)] = 0
            t[i, k][inside] = 1
            w[i, k][inside] = 1
            ci = min(gh - 1, max(0, int(my * gh)))
            cj = min(gw - 1, max(0, int(mx * gw)))
            t[i, k, ci, cj] = 1
            w[i, k, ci, cj] = 1
    return t, w


def channel_means(images, chunk=256):
    """Each shelf's mean R, G, B in 0..1, for the white balance of its crops."""
    return np.concatenate([images[i : i + chunk].mean(axis=(1, 2), dtype=np.float32) / 255 for i in range(0, len(images), chunk)])


def weights_from_onnx(model, path, images):
    """Loads an exported Detector (train.py's ONNX graph, batch norms folded into the convolutions by
    the export) into `model`: each convolution takes the folded weights, and its batch norm is set so
    that in eval mode it adds exactly the folded bias (running mean and variance are the convolution's
    output statistics on `images`, whole shelves, so that training-mode batch statistics start close
    to them)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(path).graph
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    nodes = [n for n in graph.node if n.op_type == "Conv"]
    convs = [m for m in model.body if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.body if isinstance(m, nn.BatchNorm2d)]
    if len(nodes) == 2 * (len(convs) + 1):
        # Exported with --mirror: the network twice, the second pass reading the first's weights
        # through Identity nodes.
        half = len(convs) + 1
        alias = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}
        for a_, b_ in zip(nodes[:half], nodes[half:]):
            if any(alias.get(b_.input[j], b_.input[j]) != a_.input[j] for j in (1, 2)):
                raise ValueError(f"{path}: the two passes of the mirrored graph have different weights")
        nodes = nodes[:half]
    if len(nodes) != len(convs) + 1:
        raise ValueError(f"{path}: {len(nodes)} convolutions, the Detector has {len(convs) + 1}")
    model.eval()
    with torch.no_grad():
        h = normalise(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255)
        for node, conv, bn in zip(nodes, convs, norms):
            weight, bias = init[node.input[1]], init[node.input[2]]
            if weight.shape != conv.weight.shape:
                raise ValueError(f"{path}: {node.input[1]} is {tuple(weight.shape)}, expected {tuple(conv.weight.shape)}")
            conv.weight.copy_(weight)
            z = conv(h)
            mean, var = z.mean(dim=(0, 2, 3)), z.var(dim=(0, 2, 3), unbiased=False)
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_((var + bn.eps).sqrt())
            bn.bias.copy_(mean + bias)
            h = F.relu(z + bias.view(1, -1, 1, 1))
        model.head.weight.copy_(init[nodes[-1].input[1]])
        model.head.bias.copy_(init[nodes[-1].input[2]])


def cell_scores(model, images, bs=32, mirror=False, zoom=1.0):
    """Sigmoid cell scores (N,2,GH,GW) of whole shelves, as the exported graph computes them."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(images), bs):
            x = torch.from_numpy(images[i : i + bs]).permute(0, 3, 1, 2).float() / 255
            out.append(Exported(model, mirror, zoom)(x.contiguous(memory_format=torch.channels_last)))
    return torch.cat(out)


SPOT_FLOOR = 0.2


def mine(model, images, boxes):
    """Hard examples on whole training shelves. Per shelf: its worst clean cell (the highest score of
    either kind on a cell at least one cell away from every hazard box) and how badly its hazards are
    missed (1 - the best score inside each box, worst hazard). Returns each shelf's hardness (0..1,
    the larger of the two) and the centre of its worst clean cell as fractions of the frame (None
    where that cell scores below SPOT_FLOOR: nothing there to learn)."""
    hardness = np.zeros(len(images), np.float32)
    spots = []
    cy = (torch.arange(GH).float() + 0.5) / GH
    cx = (torch.arange(GW).float() + 0.5) / GW
    yy, xx = torch.meshgrid(cy, cx, indexing="ij")
    for i0 in range(0, len(images), 256):
        scores = cell_scores(model, images[i0 : i0 + 256])
        for j in range(len(scores)):
            bs = boxes[i0 + j]
            near = torch.zeros(GH, GW, dtype=torch.bool)
            missed = 0.0
            for k, (x0, y0, x1, y1) in bs:
                inside = (xx >= x0 - 1.0 / GW) & (xx <= x1 + 1.0 / GW) & (yy >= y0 - 1.0 / GH) & (yy <= y1 + 1.0 / GH)
                near |= inside
                if k >= HIDDEN:
                    continue
                strict = (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)
                best = scores[j, k][strict].max().item() if strict.any() else scores[j, k][inside].max().item()
                missed = max(missed, 1 - best)
            clean = scores[j].amax(dim=0).masked_fill(near, 0)
            worst = int(clean.argmax())
            false_alarm = clean.view(-1)[worst].item()
            hardness[i0 + j] = max(missed, false_alarm)
            spots.append(((worst % GW + 0.5) / GW, (worst // GW + 0.5) / GH) if false_alarm >= SPOT_FLOOR else None)
    return hardness, spots


def batch(images, means, boxes, idx, g, spots=None):
    """Augmented training crops: a window at a random scale (0.7-1.4x), most often round a hazard
    (or, where `spots` gives a shelf's mined worst clean cell, half the time round that),
    light colour, level and gamma, a light spot, flips, blur and noise, white-balanced by the whole
    shelf's channel means (as the shipped graph does) after the same light changes. Boxes mostly
    inside the window are kept, cut ones ignored."""
    n = len(idx)
    out = torch.empty(n, 3, CROP_H, CROP_W)
    gain = 1 + 0.5 * (torch.rand(n, 3, 1, 1, generator=g) - 0.5)
    level = 0.5 + 0.9 * torch.rand(n, 1, 1, 1, generator=g)
    gamma = 0.7 + 0.6 * torch.rand(n, 1, 1, 1, generator=g)
    slope = 0.3 * (torch.rand(n, 1, 1, 1, generator=g) - 0.5)
    keep_all, ignore_all = [], []
    for i in range(n):
        bs = boxes[idx[i]]
        s = math.exp(math.log(0.7) + torch.rand(1, generator=g).item() * math.log(2.0))
        cw, ch = min(W, int(CROP_W / s)), min(H, int(CROP_H / s))
        spot = spots[idx[i]] if spots is not None else None
        centre = None
        if spot is not None and torch.rand(1, generator=g) < 0.5:
            centre = spot
        elif bs and torch.rand(1, generator=g) < 0.6:
            _, (x0, y0, x1, y1) = bs[int(torch.randint(len(bs), (1,), generator=g))]  # hidden ones too: their rim is a hard case
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        if centre is not None:
            cx = centre[0] * W + (torch.rand(1, generator=g).item() - 0.5) * cw * 0.6
            cy = centre[1] * H + (torch.rand(1, generator=g).item() - 0.5) * ch * 0.6
            left = int(min(W - cw, max(0, cx - cw / 2)))
            top = int(min(H - ch, max(0, cy - ch / 2)))
        else:
            left = int(torch.randint(W - cw + 1, (1,), generator=g))
            top = int(torch.randint(H - ch + 1, (1,), generator=g))
        crop = torch.from_numpy(np.ascontiguousarray(images[idx[i], top : top + ch, left : left + cw])).permute(2, 0, 1).float() / 255
        crop = F.interpolate(crop[None], size=(CROP_H, CROP_W), mode="bilinear", align_corners=False)[0]
        # A light spot: brighter toward one side of the whole frame.
        ramp = 1 + slope[i] * torch.linspace((left / W) * 2 - 1, ((left + cw) / W) * 2 - 1, CROP_W).view(1, 1, CROP_W)
        light = gain[i] * level[i]
        crop = ((crop.clamp(1e-4, 1) ** gamma[i]) * light * ramp).clamp(0, 1)
        mean = (torch.from_numpy(means[idx[i]]).view(3, 1, 1).clamp(1e-4, 1) ** gamma[i]) * light
        out[i] = crop / (mean + 0.03) - 1
        flip = torch.rand(1, generator=g) < 0.5
        if flip:
            out[i] = out[i].flip(2)
        keep, ignore = [], []
        for k, (x0, y0, x1, y1) in bs:
            c = [(x0 * W - left) / cw, (y0 * H - top) / ch, (x1 * W - left) / cw, (y1 * H - top) / ch]
            if flip:
                c = [1 - c[2], c[1], 1 - c[0], c[3]]
            cc = tuple(min(1.0, max(0.0, v)) for v in c)
            area = max(1e-9, (c[2] - c[0]) * (c[3] - c[1]))
            inside = max(0.0, cc[2] - cc[0]) * max(0.0, cc[3] - cc[1]) / area
            if k >= HIDDEN:
                if inside > 0:
                    ignore.append((k - HIDDEN, cc))
            elif inside >= 0.5:
                keep.append((k, cc))
            elif inside > 0:
                ignore.append((k, cc))
        keep_all.append(keep)
        ignore_all.append(ignore)
    if torch.rand(1, generator=g) < 0.4:
        out = F.avg_pool2d(out, 3, 1, 1, count_include_pad=False)
    out = out + torch.randn(out.shape, generator=g) * (0.1 * torch.rand(n, 1, 1, 1, generator=g))
    return out, keep_all, ignore_all


def image_scores(model, images, mirror=False, zoom=1.0):
    """Each shelf's best cell per kind (N,2): the image-level decision."""
    return cell_scores(model, images, mirror=mirror, zoom=zoom).amax(dim=(2, 3)).numpy()


def metrics(scores, boxes, thresholds):
    out = {}
    clean = [i for i, b in enumerate(boxes) if not b]
    for k, kind in enumerate(KINDS):
        pos = [i for i, b in enumerate(boxes) if any(kk == k for kk, _ in b)]
        neg = [i for i, b in enumerate(boxes) if not any(kk in (k, k + HIDDEN) for kk, _ in b)]
        t = thresholds[kind]
        tp = int(sum(scores[i, k] >= t for i in pos))
        fp = int(sum(scores[i, k] >= t for i in neg))
        out[kind] = {
            "positives": len(pos),
            "recall": round(tp / max(1, len(pos)), 4),
            "precision": round(tp / max(1, tp + fp), 4),
            "false_alarms_per_100_clean": round(100 * int(sum(scores[i, k] >= t for i in clean)) / max(1, len(clean)), 2),
        }
    out["clean_images"] = len(clean)
    return out


def choose_thresholds(scores, boxes, quantile=0.995):
    """Per kind, just above the given quantile of the clean validation shelves' scores (0.995: at
    most one false alarm per 200 clean shelves; 1: above every clean validation shelf), never below
    0.1 (the floor of 0.5 of spill-v2 hid a breakage channel that separated the shelves well below
    it)."""
    clean = [i for i, b in enumerate(boxes) if not b]
    thresholds = {}
    for k, kind in enumerate(KINDS):
        q = float(np.quantile(scores[clean, k], quantile))
        thresholds[kind] = round(max(0.1, min(0.98, q + 0.01)), 3)
    return thresholds


def separation(scores, boxes):
    """Per kind: the highest clean score and quantiles of the positives' scores, to see whether a
    kind is learnt at all apart from where its threshold falls."""
    clean = [i for i, b in enumerate(boxes) if not b]
    out = {}
    for k, kind in enumerate(KINDS):
        pos = [i for i, b in enumerate(boxes) if any(kk == k for kk, _ in b)]
        q = np.quantile(scores[pos, k], [0.02, 0.05, 0.1, 0.5]) if pos else []
        out[kind] = {"clean_max": round(float(scores[clean, k].max()), 3), "pos_q02_05_10_50": [round(float(v), 3) for v in q]}
    return out


def load_weights(model, a, images):
    """--resume's saved weights or --init-onnx's exported ones (their batch norms set on 256 of
    `images`); False when neither is given (a fresh network)."""
    if a.resume:
        model.load_state_dict(torch.load(a.resume))
        print(f"resumed from {a.resume}", flush=True)
    elif a.init_onnx:
        weights_from_onnx(model, a.init_onnx, images[:: max(1, len(images) // 256)][:256])
        print(f"initialised from {a.init_onnx}", flush=True)
    else:
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--procedural", type=int, default=1600, help="procedural training shelves")
    ap.add_argument("--procedural-val", type=int, default=300, help="procedural validation shelves")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N shelves only (a quick check)")
    ap.add_argument("--resume", help="start from the weights of an earlier run (DATA_DIR/OUT.onnx.pt)")
    ap.add_argument("--neg-weight", type=float, default=1.0, help="weight of a clean crop's best cell (hard negatives)")
    ap.add_argument("--checkpoint", type=int, default=3, help="export every N epochs")
    ap.add_argument("--init-onnx", help="start from the weights of an exported model (train.py's graph)")
    ap.add_argument("--mine", type=float, default=0.0, help="hard shelves drawn up to 1+X times as often (0: off)")
    ap.add_argument("--mine-every", type=int, default=2, help="score the training shelves every N epochs")
    ap.add_argument("--extra-train", action="append", default=[], help="another rendered set (DATA_DIR/NAME.bin), added to training")
    ap.add_argument("--extra-val", action="append", default=[], help="another rendered set, added to the rendered validation shelves")
    ap.add_argument("--mirror", action="store_true", help="the exported graph averages each cell with the mirror image's (validation too)")
    ap.add_argument("--export-only", action="store_true", help="with --resume or --init-onnx: no training, only choose thresholds and export")
    ap.add_argument(
        "--clean-quantile",
        type=float,
        default=0.995,
        help="thresholds just above this quantile of the clean validation shelves' scores (1: their maximum)",
    )
    ap.add_argument(
        "--zoom",
        type=float,
        default=1.0,
        choices=[1.0, 1.5],
        help="1.5: the exported graph also looks at the shelf scaled up half again (validation too; measured, not shipped)",
    )
    ap.add_argument("--width", type=float, default=1.0, help="channels of every layer times this (1: the shipped 86 k parameters)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(a.seed)
    rvx, rvb = load_rendered_sets(a.data, ["val", *a.extra_val])
    pvx, pvb = load_procedural(a.data, "val", a.procedural_val)
    model = Detector(a.width)
    if a.export_only:
        # Only thresholds and the graph: the training shelves are not loaded (minutes on this host).
        if not load_weights(model, a, rvx):
            sys.exit("--export-only needs --resume or --init-onnx (the weights to export)")
        export(a, model, (rvx, rvb), (pvx, pvb), None, "resumed", time.time())
        return
    rx, rb = load_rendered_sets(a.data, ["train", *a.extra_train])
    px, pb = load_procedural(a.data, "train", a.procedural)
    train_x = np.concatenate([rx, px])
    train_b = rb + pb
    del rx, px
    if a.limit:
        train_x, train_b = train_x[: a.limit], train_b[: a.limit]
    train_means = channel_means(train_x)
    print(f"train {len(train_x)} shelves ({len(rb)} rendered, {len(pb)} procedural)", flush=True)
    load_weights(model, a, train_x)
    steps = a.epochs * math.ceil(len(train_x) / a.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.1)
    pos_weight = torch.tensor([3.0, 5.0]).view(1, 2, 1, 1)
    kind_weight = torch.tensor([1.0, 1.5]).view(1, 2)
    t0 = time.time()
    model = model.to(memory_format=torch.channels_last)
    spots = None
    for epoch in range(a.epochs):
        if a.mine and epoch % a.mine_every == 0:
            tm = time.time()
            hardness, spots = mine(model, train_x, train_b)
            draw = torch.from_numpy(1 + a.mine * hardness.astype(np.float64))
            print(
                f"mined in {time.time() - tm:.0f}s: hardness median {np.median(hardness):.3f}, "
                f"{sum(s is not None for s in spots)} shelves with a clean cell >= {SPOT_FLOOR}",
                flush=True,
            )
        model.train()
        if spots is None:
            order = torch.randperm(len(train_x), generator=g).numpy()
        else:
            order = torch.multinomial(draw, len(train_x), replacement=True, generator=g).numpy()
        steps_of = [np.sort(order[s : s + a.batch]) for s in range(0, len(order), a.batch)]
        crops = Crops(train_x, train_means, train_b, steps_of, a.seed * 1_000_003 + epoch * 10_007, spots)
        total = 0.0
        for x, t, w in torch.utils.data.DataLoader(crops, batch_size=None, num_workers=1):
            logits = model(x.contiguous(memory_format=torch.channels_last))
            cell = F.binary_cross_entropy_with_logits(logits, t, weight=w, pos_weight=pos_weight)
            # The image-level decision is the best cell: train it directly too (hard negatives:
            # the worst cell of every clean crop is pushed down).
            img_t = t.amax(dim=(2, 3))
            img_w = ((w.amin(dim=(2, 3)) > 0) | (img_t > 0)).float() * kind_weight
            img_w = img_w * torch.where(img_t > 0, 1.0, a.neg_weight)
            img = F.binary_cross_entropy_with_logits(logits.amax(dim=(2, 3)), img_t, weight=img_w)
            loss = cell + img
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(x)
        print(f"epoch {epoch + 1}/{a.epochs} loss {total / len(order):.4f} {time.time() - t0:.0f}s", flush=True)
        if epoch == a.epochs - 1 or (epoch + 1) % a.checkpoint == 0:
            # Written at every checkpoint, so a long run on a busy machine always leaves a model.
            export(a, model, (rvx, rvb), (pvx, pvb), {"rendered": len(rb), "procedural": len(pb)}, epoch + 1, t0)


class Crops(torch.utils.data.Dataset):
    """One epoch's augmented batches, drawn in a worker process while the network trains on the
    previous one (each batch from its own seed, so a run is reproducible)."""

    def __init__(self, images, means, boxes, steps, seed, spots=None):
        self.images, self.means, self.boxes, self.steps, self.seed = images, means, boxes, steps, seed
        self.spots = spots

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, i):
        torch.set_num_threads(1)
        g = torch.Generator().manual_seed(self.seed + i)
        idx = self.steps[i]
        x, keep, ignore = batch(self.images, self.means, self.boxes, idx, g, self.spots)
        t, w = targets(keep, ignore, len(idx), CROP_H // STRIDE, CROP_W // STRIDE)
        return x, t, w


def export(a, model, rendered_val, procedural_val, train_images, epochs, t0):
    """Picks the thresholds on both validation sets together (never on the test or alt sets) and
    writes the ONNX file and its metrics."""
    rvx, rvb = rendered_val
    pvx, pvb = procedural_val
    val_b = rvb + pvb
    scores = np.concatenate([image_scores(model, rvx, a.mirror, a.zoom), image_scores(model, pvx, a.mirror, a.zoom)])
    thresholds = choose_thresholds(scores, val_b, a.clean_quantile)
    val = {
        "rendered": metrics(scores[: len(rvb)], rvb, thresholds),
        "procedural": metrics(scores[len(rvb) :], pvb, thresholds),
        "both": metrics(scores, val_b, thresholds),
    }
    print(json.dumps({"epochs": epochs, "thresholds": thresholds, "val": val}), flush=True)
    print(json.dumps({"rendered": separation(scores[: len(rvb)], rvb), "procedural": separation(scores[len(rvb) :], pvb)}), flush=True)
    torch.save(model.state_dict(), f"{a.data}/{os.path.basename(a.out)}.pt")
    model.eval()
    plain = copy.deepcopy(model).to(memory_format=torch.contiguous_format)
    torch.onnx.export(
        Exported(plain, a.mirror, a.zoom),
        torch.zeros(1, 3, H, W),
        a.out,
        input_names=["image"],
        output_names=["cells"],
        opset_version=13,
        do_constant_folding=True,
    )
    info = {
        "architecture": f"grey-world white balance, then a fully convolutional CNN: 6 conv3x3+BN+ReLU ({'-'.join(map(str, model.channels))} channels, strides 2,2,2,1,2,1, dilation 2 on the last), 1x1 head, sigmoid"
        + (", averaged with the same on the mirror image" if a.mirror else "")
        + (", each cell averaged with the shelf's best 1.5x cells over it (the shelf scaled up half again)" if a.zoom != 1.0 else ""),
        "mirror": a.mirror,
        "zoom": a.zoom,
        "parameters": sum(p.numel() for p in model.parameters()),
        "input": {"name": "image", "shape": [1, 3, H, W], "range": "RGB 0..1"},
        "output": {"name": "cells", "shape": [1, 2, GH, GW], "channels": KINDS},
        "train_images": train_images,
        "val_images": {"rendered": len(rvb), "procedural": len(pvb)},
        "epochs": epochs,
        "lr": a.lr,
        "neg_weight": a.neg_weight,
        "resumed_from": os.path.basename(a.resume or a.init_onnx or "") or None,
        "extra_train": a.extra_train,
        "extra_val": a.extra_val,
        "mine": a.mine,
        "mine_every": a.mine_every if a.mine else None,
        "seed": a.seed,
        "train_seconds": round(time.time() - t0),
        "thresholds": thresholds,
        "clean_quantile": a.clean_quantile,
        "val": val,
        "date": time.strftime("%Y-%m-%d"),
    }
    if a.export_only:
        # The training run's own record (the .json written beside its ONNX file, or beside the
        # exported model the weights were read from) says how the weights were trained; this
        # export only chose thresholds and the graph.
        source = a.resume or a.init_onnx
        trained = source[: -len(".pt")] if source.endswith(".onnx.pt") else source
        trained = trained[: -len(".onnx")] + ".json"
        if os.path.exists(trained):
            run = json.load(open(trained))
            for k in ("train_images", "epochs", "lr", "neg_weight", "resumed_from", "extra_train", "mine", "mine_every", "seed", "train_seconds"):
                info[k] = run.get(k)
        info["exported_from"] = os.path.basename(source)
    json.dump(info, open(a.out.replace(".onnx", ".json"), "w"), indent=1)
    kept = f"{a.data}/{os.path.basename(a.out).replace('.onnx', '')}-e{epochs}"
    shutil.copyfile(a.out, f"{kept}.onnx")
    shutil.copyfile(a.out.replace(".onnx", ".json"), f"{kept}.json")

if __name__ == "__main__":
    main()
