"""Why did the model choose a class? Grad-CAM (Selvaraju et al. 2017) through Captum's
LayerGradCam: the gradient of the class score weights the channels of a late feature map,
and the positive part of their sum shows where the evidence lies.

Captum does the attribution; what Loupe owns is the choice of that feature map for each
architecture family (core.infer.target_layers), and drawing the heat map over what the
model actually saw (the same centre crop or squash as classification)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.data.augment import normalize
from core.errors import LoupeError
from core.infer.target_layers import prepare_for_gradients, target_layer
from core.models.checkpoints import ModelMeta

# Colour stops of the heat map (a perceptually ordered dark-blue -> yellow -> red ramp).
_STOPS = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
_COLOURS = np.array(
    [[48, 18, 59], [40, 140, 230], [60, 220, 120], [250, 200, 40], [220, 30, 20]], dtype=np.float32
)
OVERLAY_ALPHA = 0.55  # opacity of the hottest areas; cold areas stay the photo


@dataclass(frozen=True)
class Explanation:
    heatmap: np.ndarray  # (S, S) float32 in 0..1 at the model's input size
    class_name: str  # the class explained
    confidence: float  # its calibrated probability
    predicted: str  # the model's best class
    predicted_confidence: float
    top_k: tuple[tuple[str, float], ...]  # (class, calibrated probability), best first


class Explainer:
    """Grad-CAM for one loaded model. Not thread-safe: one explanation at a time."""

    def __init__(self, model: nn.Module, meta: ModelMeta, device: torch.device | str = "cpu"):
        from captum.attr import LayerGradCam

        self.meta = meta
        self.device = torch.device(device)
        self.model = prepare_for_gradients(model).to(self.device).float().eval()
        self.layer = target_layer(self.model, meta.image_size)
        self._gradcam = LayerGradCam(self.model, self.layer)

    def class_index(self, class_name: str | None) -> int | None:
        if class_name is None:
            return None
        if class_name not in self.meta.class_names:
            known = ", ".join(self.meta.class_names[:20])
            raise LoupeError(f"The model has no class '{class_name}' (its classes: {known}).")
        return self.meta.class_names.index(class_name)

    def explain(self, image: np.ndarray, class_name: str | None = None) -> Explanation:
        """`image`: uint8 (S, S, 3) preprocessed as for classification (load_square)."""
        wanted = self.class_index(class_name)
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].to(self.device)
        x = normalize(x, self.meta.mean, self.meta.std).contiguous()
        with torch.no_grad():
            logits = self.model(x).float()[0]
        probs = torch.softmax(logits / self.meta.temperature, 0)
        names = self.meta.class_names
        best = int(probs.argmax())
        target = best if wanted is None else wanted
        with torch.enable_grad():
            cam = self._gradcam.attribute(x, target=target, relu_attributions=True)
        cam = cam.detach().float().sum(1, keepdim=True)  # (1, 1, h, w)
        size = image.shape[:2]
        cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)[0, 0]
        peak = float(cam.max())
        heat = (cam / peak).clamp(0, 1) if peak > 0 else torch.zeros_like(cam)
        top = torch.topk(probs, min(5, len(names)))
        return Explanation(
            heatmap=heat.cpu().numpy().astype(np.float32),
            class_name=names[target],
            confidence=float(probs[target]),
            predicted=names[best],
            predicted_confidence=float(probs[best]),
            top_k=tuple((names[int(i)], float(p)) for p, i in zip(top.values, top.indices)),
        )


def colorize(heatmap: np.ndarray) -> np.ndarray:
    """(H, W) 0..1 -> (H, W, 3) uint8 colour ramp."""
    h = np.clip(heatmap, 0.0, 1.0)
    channels = [np.interp(h, _STOPS, _COLOURS[:, c]) for c in range(3)]
    return np.stack(channels, axis=-1).astype(np.uint8)


def overlay(image: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """The image with the heat map blended in; the heat map is resized to the image."""
    h, w = image.shape[:2]
    if heatmap.shape != (h, w):
        t = torch.from_numpy(heatmap)[None, None]
        heatmap = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)[0, 0].numpy()
    alpha = (OVERLAY_ALPHA * np.clip(heatmap, 0, 1) ** 0.7)[..., None]
    blended = image.astype(np.float32) * (1 - alpha) + colorize(heatmap).astype(np.float32) * alpha
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)
