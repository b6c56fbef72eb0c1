"""Writes transform-fixtures.json: expected outputs of geometric transforms computed with PyTorch.

Run with Debian's python3-torch: /usr/bin/python3 make_transform_fixtures.py
torchvision is not installed here, so its tensor rotate/affine are re-typed below from torchvision 0.14
(functional.py `_get_inverse_affine_matrix`, functional_tensor.py `_gen_affine_grid`, fill=None), and the
sampling itself is torch's grid_sample.
"""
import json
import math

import torch
import torch.nn.functional as F


def image(n, c, h, w):
    # the same formula as TransformsTest.pattern()
    x = torch.empty(n, c, h, w)
    for s in range(n):
        for k in range(c):
            for i in range(h):
                for j in range(w):
                    x[s, k, i, j] = ((s * 13 + k * 5 + i * 7 + j * 3) % 11) / 10.0
    return x


def inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def gen_affine_grid(theta, w, h, ow, oh):
    d = 0.5
    base_grid = torch.empty(1, oh, ow, 3, dtype=theta.dtype)
    base_grid[..., 0].copy_(torch.linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, steps=ow))
    base_grid[..., 1].copy_(torch.linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, steps=oh).unsqueeze_(-1))
    base_grid[..., 2].fill_(1)
    rescaled_theta = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=theta.dtype)
    return base_grid.view(1, oh * ow, 3).bmm(rescaled_theta).view(1, oh, ow, 2)


def warp(img, matrix):
    n, _, h, w = img.shape
    theta = torch.tensor(matrix, dtype=torch.float64).reshape(1, 2, 3)
    grid = gen_affine_grid(theta, w=w, h=h, ow=w, oh=h).expand(n, h, w, 2)
    return F.grid_sample(img.double(), grid, mode="bilinear", padding_mode="zeros", align_corners=False).float()


def rotate(img, angle):  # torchvision F.rotate(img, angle, BILINEAR): counter-clockwise
    return warp(img, inverse_affine_matrix([0.0, 0.0], -angle, [0.0, 0.0], 1.0, [0.0, 0.0]))


def affine(img, angle, translate, scale):  # torchvision F.affine counts clockwise: pass -angle for ccw
    return warp(img, inverse_affine_matrix([0.0, 0.0], -angle, translate, scale, [0.0, 0.0]))


x = image(2, 2, 5, 6)
sq = image(1, 1, 6, 6)
cases = {
    "input": {"shape": list(x.shape)},
    "rotate30": rotate(x, 30.0),
    "rotateMinus135": rotate(x, -135.0),
    "rotate30Square": rotate(sq, 30.0),
    "affine20_t1_m2_s1.2": affine(x, 20.0, [1.0, -2.0], 1.2),
    "resize7x4": F.interpolate(x, size=(7, 4), mode="bilinear", align_corners=False),
    "resize3x3": F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=False),
    "resize11x13": F.interpolate(x, size=(11, 13), mode="bilinear", align_corners=False),
}
out = {}
for k, v in cases.items():
    out[k] = v if isinstance(v, dict) else {"shape": list(v.shape), "data": [round(float(t), 7) for t in v.flatten()]}
out["torch"] = torch.__version__
with open("transform-fixtures.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
