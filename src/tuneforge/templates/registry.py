"""The registry of chat templates: name → `TemplateSpec`. Names are LLaMA-Factory's `template:` names.

Adding a template = one jinja file in `templates/jinja/` + one `TemplateSpec` in the family module under
`templates/families/` (see docs/templates.md); `TEMPLATES` below is the one place to look a name up.
LLaMA-Factory names tuneforge does not register are in `REFUSED_TEMPLATES`, each with the reason, which is what
a config that names one is told.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry
from tuneforge.templates.families import chatml, generic, llama, others
from tuneforge.templates.spec import TemplateSpec

TEMPLATES: Registry[TemplateSpec] = Registry(
    "template", [(spec.name, spec) for family in (generic, chatml, llama, others) for spec in family.SPECS])


_OTHER_SYSTEM = "the same layout, another default system prompt"


def _media(what: str, use: str | None, layout: str = "the same text layout") -> str:
    instead = f"; for text-only training use '{use}' ({layout})" if use else \
        "; no registered template has its text layout"
    return (f"multimodal template ({what}): its media tokens and processor are not supported yet (they arrive with "
            f"the multimodal issue){instead}")


# LLaMA-Factory 0.9.5 template names that tuneforge refuses, and why (tests/templates/test_lf_names.py).
REFUSED_TEMPLATES: Mapping[str, str] = MappingProxyType({
    "dots_ocr": _media("dots.ocr document OCR, Qwen2-VL-style image tokens", None),
    "ernie_vl": _media("ERNIE-4.5-VL images and video", None),
    "gemma3n": _media("Gemma 3n image and audio", "gemma3"),
    "gemma4": _media("Gemma 4 image and video, thinking channel", None),
    "gemma4n": _media("Gemma 4 image, video and audio, thinking channel", None),
    "glm4v": _media("GLM-4.1V-Thinking images and video", "glmz1"),
    "glm4_5v": _media("GLM-4.5V images and video", "glm4_moe", "the GLM-4.5 layout"),
    "glm_ocr": _media("GLM-OCR images", "glm4"),
    "granite3_vision": _media("Granite Vision 3.x, LLaVA-NeXT image tiles", None),
    "intern_vl": _media("InternVL images and video", "intern2", _OTHER_SYSTEM),
    "intern_s1": _media("Intern-S1 images and video", "intern2"),
    "keye_vl": _media("Kwai Keye-VL images and video", "qwen3", "the Qwen3 layout"),
    "kimi_vl": _media("Kimi-VL images, ◁think▷ reasoning", "moonlight", "the same turn tokens"),
    "lfm2_vl": _media("LFM2-VL images", "lfm2", _OTHER_SYSTEM),
    "llava_next_llama3": _media("LLaVA-NeXT on Llama 3", "llama3", "the Llama 3 layout"),
    "llava_next_mistral": _media("LLaVA-NeXT on Mistral", "mistral", "the Mistral layout"),
    "llava_next_qwen": _media("LLaVA-NeXT on Qwen", "qwen", _OTHER_SYSTEM),
    "llava_next_yi": _media("LLaVA-NeXT on Yi", "yi"),
    "llava_next_video": _media("LLaVA-NeXT-Video images and video", "vicuna"),
    "llava_next_video_mistral": _media("LLaVA-NeXT-Video on Mistral", "mistral", "the Mistral layout"),
    "llava_next_video_yi": _media("LLaVA-NeXT-Video on Yi", "yi"),
    "mimo_vl": _media("MiMo-VL images and video", "mimo", _OTHER_SYSTEM),
    "minicpm_v": _media("MiniCPM-V images and video", "chatml", _OTHER_SYSTEM),
    "minicpm_v_4_6": _media("MiniCPM-V 4.6 images and video", "chatml", _OTHER_SYSTEM),
    "minicpm_o": _media("MiniCPM-o images, video and audio", "chatml", _OTHER_SYSTEM),
    "mllama": _media("Llama 3.2 Vision cross-attention images", "llama3", "the Llama 3 layout"),
    "paligemma": _media("PaliGemma prefix-LM images", None),
    "paligemma_chat": _media("PaliGemma chat images", "gemma", "the Gemma layout"),
    "pixtral": _media("Pixtral images", "ministral"),
    "qwen2_audio": _media("Qwen2-Audio audio", "qwen2_vl"),
    "qwen2_omni": _media("Qwen2.5-Omni images, video and audio", "qwen2_vl"),
    "qwen3_omni": _media("Qwen3-Omni images, video and audio", "qwen3"),
    "qwen3_omni_nothink": _media("Qwen3-Omni Instruct images, video and audio", "qwen3_nothink"),
    "video_llava": _media("Video-LLaVA images and video", "vicuna"),
    "yi_vl": _media("Yi-VL images", None),
    "youtu_vl": _media("Youtu-VL images and video", None),
})


def get_template(name: str) -> TemplateSpec:
    """The template called `name`. A name tuneforge refuses is a UserError giving the reason; any other unknown
    name is a UserError that suggests the closest one."""
    if name in REFUSED_TEMPLATES:
        raise UserError(f"template '{name}' is not supported: {REFUSED_TEMPLATES[name]}", field="template")
    return TEMPLATES.get_or_raise(name, field="template")
