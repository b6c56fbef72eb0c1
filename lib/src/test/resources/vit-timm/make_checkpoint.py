"""Writes a tiny ViT checkpoint in timm's published layout, and what PyTorch computes with it.

Run with Debian's python3-torch: /usr/bin/python3 lib/src/test/resources/vit-timm/make_checkpoint.py
Deterministic (fixed seed). No timm and no safetensors package needed: the model below is timm's
VisionTransformer (timm/models/vision_transformer.py: PatchEmbed, Attention, Mlp, Block, class token, learned
pos_embed, final norm, head on the class token) written in plain torch with timm's parameter names, and the
safetensors files are written by hand from the format's definition (8-byte little-endian header length, JSON
header padded with spaces to a multiple of 8, then the tensors' little-endian bytes back to back).

Files:
  tiny_f32.safetensors, tiny_f16.safetensors, tiny_bf16.safetensors
      the same random weights stored as F32, F16 and BF16 (rounded by torch's .half() / .bfloat16())
  tiny.json
      config: the model's sizes (timm's names)
      input: {shape, values}, a (2, 3, 8, 8) batch rounded to 4 decimals
      logits: {"F32": {shape, values}, "F16": ..., "BF16": ...}: the float64 forward pass of timm's model with the
              weights as each file stores them (17 significant digits)
      keys: the tensor names in timm's state_dict order
"""
import json
import math
import os
import struct

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = dict(img_size=8, patch_size=4, in_chans=3, embed_dim=12, depth=2, num_heads=3, mlp_ratio=2.0,
           num_classes=5)


class Attention(nn.Module):  # timm's Attention (qkv_bias=True, no qk norm), fused_attn off
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = attn @ v
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, in_chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # (B, N, C)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio, num_classes):
        super().__init__()
        n = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, embed_dim))
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def flat(t):
    return {"shape": list(t.shape), "values": [float(f"{v:.17g}") for v in t.reshape(-1).tolist()]}


def write_safetensors(path, tensors, dtype_name):
    header, chunks, at = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        if dtype_name == "F32":
            data = struct.pack("<%df" % t.numel(), *t.float().reshape(-1).tolist())
        else:  # 16-bit: the raw bits, little-endian
            bits = t.view(torch.int16).reshape(-1).tolist()
            data = struct.pack("<%dh" % t.numel(), *bits)
        header[name] = {"dtype": dtype_name, "shape": list(t.shape), "data_offsets": [at, at + len(data)]}
        chunks.append(data)
        at += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def main():
    torch.manual_seed(20240917)
    model = VisionTransformer(**CFG).double()
    with torch.no_grad():  # every parameter random and O(1), so that a wrong mapping cannot go unnoticed
        for name, p in model.named_parameters():
            if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif p.dim() >= 2 and name not in ("cls_token",):
                fan_in = p[0].numel() if name != "pos_embed" else 1
                p.copy_(torch.randn_like(p) / math.sqrt(fan_in) * (0.5 if name == "pos_embed" else 1.0))
            else:
                p.copy_(0.2 * torch.randn_like(p))
    x = torch.round(torch.randn(2, 3, 8, 8, dtype=torch.float64) * 1e4) / 1e4
    state = model.state_dict()
    out = {"config": CFG, "input": flat(x), "logits": {}, "keys": list(state.keys())}
    for dtype_name, dt in (("F32", torch.float32), ("F16", torch.float16), ("BF16", torch.bfloat16)):
        stored = {k: v.to(dt) for k, v in state.items()}
        write_safetensors(os.path.join(HERE, "tiny_%s.safetensors" % dtype_name.lower()), stored, dtype_name)
        m = VisionTransformer(**CFG).double()
        m.load_state_dict({k: v.double() for k, v in stored.items()})
        with torch.no_grad():
            out["logits"][dtype_name] = flat(m(x))
    with open(os.path.join(HERE, "tiny.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
